import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../api/client';
import { ApiError, messagesFor, unclaimed } from '../api/problem';
import type { EdgeNode, Operation } from '../api/types';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { FieldMessages } from '../components/FieldMessages';
import { OperationItem } from './Operations';

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'ROLLED_BACK']);
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;

/** As-you-type checks of the handover form (the API checks the same and more). */
export function handoverErrors(f: { targetNode: string; attachment: string }): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!f.targetNode) out.targetNode = ['choose the node now serving the UE'];
  if (!f.attachment.trim()) out.attachment = ['the interface carrying the UE traffic on that node is required'];
  else if (!IFNAME.test(f.attachment.trim())) out.attachment = ['an interface name: 1-15 letters, digits, . _ -'];
  return out;
}

/**
 * Handover (issue 6): the UE moved to another edge node; move its firewall there with its flow
 * state. Target from the READY nodes other than the current one, a confirmation, then the
 * HANDOVER operation, followed until it is final, with per-phase timings and the downtime.
 */
export function HandoverPanel(props: {
  subscriberId: string; currentNode: string; attachment: string; nodes: EdgeNode[]; pollMs?: number;
}) {
  const ready = props.nodes.filter((n) => n.status === 'READY' && n.name !== props.currentNode).map((n) => n.name).sort();
  const [targetNode, setTargetNode] = useState('');
  const [attachment, setAttachment] = useState(props.attachment);
  const [touched, setTouched] = useState(false);
  const [apiFields, setApiFields] = useState<Record<string, string[]>>({});
  const [summary, setSummary] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [op, setOp] = useState<Operation | null>(null);

  const local = touched ? handoverErrors({ targetNode, attachment }) : {};
  const msgs = (k: string) => [...(local[k] ?? []), ...messagesFor(apiFields, k)];

  // follow the operation until it is final
  useEffect(() => {
    if (!op || FINAL.has(op.state)) return;
    const t = setTimeout(async () => {
      try {
        setOp(await api.operation(op.id));
      } catch (e) {
        setSummary(`Could not read operation ${op.id}: ${(e as Error).message}`);
      }
    }, props.pollMs ?? 500);
    return () => clearTimeout(t);
  }, [op, props.pollMs]);

  function ask(e: FormEvent) {
    e.preventDefault();
    setTouched(true);
    setApiFields({});
    setSummary(null);
    if (Object.keys(handoverErrors({ targetNode, attachment })).length) return;
    setConfirming(true);
  }

  async function run() {
    setConfirming(false);
    setBusy(true);
    setOp(null);
    try {
      setOp(await api.handover(props.subscriberId, { targetNode, attachment: attachment.trim() }));
    } catch (e) {
      if (e instanceof ApiError) {
        setApiFields(e.fields);
        const rest = unclaimed(e.fields, (f) => f === 'targetNode' || f === 'attachment');
        setSummary(Object.keys(e.fields).length && !rest.length ? null
          : `Handover refused: ${e.message}${rest.length ? ` (${rest.map((x) => `${x.field}: ${x.message}`).join('; ')})` : ''}`);
      } else {
        setSummary(`Handover refused: ${(e as Error).message}`);
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="handover">
      <form onSubmit={ask} noValidate aria-label="Handover">
        <div className="grid">
          <div className="field">
            <label htmlFor="ho-target">Target edge node</label>
            <select id="ho-target" value={targetNode} onChange={(e) => { setTargetNode(e.target.value); setApiFields({}); }}
              aria-invalid={msgs('targetNode').length ? true : undefined} aria-describedby={msgs('targetNode').length ? 'ho-target-err' : undefined}>
              <option value="">{ready.length ? 'choose…' : 'no other READY node'}</option>
              {ready.map((n) => <option key={n} value={n}>{n}</option>)}
            </select>
            <FieldMessages id="ho-target-err" messages={msgs('targetNode')} />
          </div>
          <div className="field">
            <label htmlFor="ho-attachment">Attachment interface on the target</label>
            <input id="ho-attachment" value={attachment} onChange={(e) => { setAttachment(e.target.value); setApiFields({}); }}
              aria-invalid={msgs('attachment').length ? true : undefined} aria-describedby={msgs('attachment').length ? 'ho-attachment-err' : undefined} />
            <FieldMessages id="ho-attachment-err" messages={msgs('attachment')} />
          </div>
        </div>
        <button type="submit" disabled={busy}>Hand over…</button>
      </form>
      {summary ? <p role="alert" className="notice bad" data-testid="handover-error">{summary}</p> : null}
      {op ? (
        <div data-testid="handover-result" data-state={op.state}>
          <p role="status" className={`notice ${op.state === 'SUCCEEDED' ? 'ok' : FINAL.has(op.state) ? 'bad' : 'info'}`}>
            {op.state === 'SUCCEEDED' ? `Handover to ${targetNode} succeeded.`
              : FINAL.has(op.state) ? `Handover to ${targetNode} ${op.state.toLowerCase().replace('_', ' ')}; the firewall stays on ${props.currentNode}.`
                : `Handover to ${targetNode} in progress…`}
          </p>
          <ol className="timeline"><OperationItem op={op} /></ol>
        </div>
      ) : null}
      <ConfirmDialog isOpen={confirming} title={`Hand over ${props.subscriberId}?`} confirmLabel="Hand over"
        onConfirm={() => void run()} onCancel={() => setConfirming(false)}>
        <p>
          The firewall of {props.subscriberId} moves live from {props.currentNode} to {targetNode}, with its flow table,
          on interface {attachment.trim()}. Traffic pauses for the downtime of the migration.
        </p>
      </ConfirmDialog>
    </div>
  );
}
