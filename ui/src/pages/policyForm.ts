import type { FirewallPolicy, FirewallRule } from '../api/types';

/** One rule as the editor holds it (ports as typed text). */
export interface RuleDraft {
  action: string; direction: string; protocol: string; remoteCidr: string; portFrom: string; portTo: string; description: string;
}
export interface PolicyDraft { defaultInbound: string; defaultOutbound: string; stateful: boolean; rules: RuleDraft[] }
export type Errors = Record<string, string[]>;

export const newRule = (): RuleDraft => ({ action: 'ALLOW', direction: 'OUTBOUND', protocol: 'TCP', remoteCidr: '', portFrom: '', portTo: '', description: '' });
export const emptyPolicy = (): PolicyDraft => ({ defaultInbound: 'DENY', defaultOutbound: 'ALLOW', stateful: true, rules: [] });

const ACTIONS = ['ALLOW', 'DENY'];
const DIRECTIONS = ['OUTBOUND', 'INBOUND'];
const PROTOCOLS = ['TCP', 'UDP', 'ICMP', 'ANY'];
export const MAX_RULES = 256;

/** `a.b.c.d` or `a.b.c.d/len`; returns the problem in words, or null. */
export function cidrProblem(v: string): string | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(v.trim());
  if (!m) return `'${v}' is not an IPv4 address or ADDR/LEN network`;
  if (m.slice(1, 5).some((o) => Number(o) > 255)) return `'${v}': each part of the address must be 0..255`;
  if (m[5] !== undefined && Number(m[5]) > 32) return `'${v}': prefix length must be 0..32`;
  return null;
}

function port(v: string, field: string, e: Errors): number | undefined {
  if (v.trim() === '') return undefined;
  if (!/^\d+$/.test(v.trim()) || Number(v) < 1 || Number(v) > 65535) {
    (e[field] ??= []).push('must be a port number 1..65535');
    return undefined;
  }
  return Number(v);
}

/** The FirewallPolicy rules of api-spec/openapi.yaml, per rule, as the user types. Keys: `rules[3].remoteCidr`. */
export function validatePolicy(p: PolicyDraft): Errors {
  const e: Errors = {};
  const add = (f: string, m: string) => (e[f] ??= []).push(m);
  if (!ACTIONS.includes(p.defaultInbound)) add('defaultInbound', 'must be ALLOW or DENY');
  if (!ACTIONS.includes(p.defaultOutbound)) add('defaultOutbound', 'must be ALLOW or DENY');
  if (p.rules.length > MAX_RULES) add('rules', `at most ${MAX_RULES} rules`);
  p.rules.forEach((r, i) => {
    const f = (x: string) => `rules[${i}].${x}`;
    if (!ACTIONS.includes(r.action)) add(f('action'), 'must be ALLOW or DENY');
    if (!DIRECTIONS.includes(r.direction)) add(f('direction'), 'must be OUTBOUND or INBOUND');
    if (!PROTOCOLS.includes(r.protocol)) add(f('protocol'), 'must be TCP, UDP, ICMP or ANY');
    if (r.remoteCidr.trim()) {
      const c = cidrProblem(r.remoteCidr);
      if (c) add(f('remoteCidr'), c);
    }
    const from = port(r.portFrom, f('portFrom'), e);
    const to = port(r.portTo, f('portTo'), e);
    if ((r.portFrom.trim() || r.portTo.trim()) && r.protocol !== 'TCP' && r.protocol !== 'UDP') {
      add(f(r.portFrom.trim() ? 'portFrom' : 'portTo'), 'ports apply to TCP or UDP only');
    }
    if (r.portTo.trim() && !r.portFrom.trim()) add(f('portFrom'), 'is required when portTo is given');
    if (from !== undefined && to !== undefined && to < from) add(f('portTo'), `must not be below portFrom (${from})`);
    if (r.description.length > 256) add(f('description'), 'must be at most 256 characters');
  });
  return e;
}

export function toPolicy(p: PolicyDraft): FirewallPolicy {
  return {
    defaultInbound: p.defaultInbound as FirewallPolicy['defaultInbound'],
    defaultOutbound: p.defaultOutbound as FirewallPolicy['defaultOutbound'],
    stateful: p.stateful,
    rules: p.rules.map((r) => {
      const out: FirewallRule = { action: r.action as FirewallRule['action'], direction: r.direction as FirewallRule['direction'], protocol: r.protocol as FirewallRule['protocol'] };
      if (r.remoteCidr.trim()) out.remoteCidr = r.remoteCidr.trim();
      if (r.portFrom.trim()) out.portFrom = Number(r.portFrom);
      if (r.portTo.trim()) out.portTo = Number(r.portTo);
      if (r.description) out.description = r.description;
      return out;
    }),
  };
}

export function fromPolicy(p: FirewallPolicy | undefined): PolicyDraft {
  if (!p) return emptyPolicy();
  return {
    defaultInbound: p.defaultInbound ?? 'DENY',
    defaultOutbound: p.defaultOutbound ?? 'ALLOW',
    stateful: p.stateful ?? true,
    rules: (p.rules ?? []).map((r) => ({
      action: r.action, direction: r.direction, protocol: r.protocol, remoteCidr: r.remoteCidr ?? '',
      portFrom: r.portFrom?.toString() ?? '', portTo: r.portTo?.toString() ?? '', description: r.description ?? '',
    })),
  };
}

/** Is the search text a UE address (search by ueIp) rather than a subscriber id prefix? */
export function looksLikeIp(q: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(q.trim());
}
