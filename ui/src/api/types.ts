// The subset of api-spec/openapi.yaml the dashboard reads. Keep in step with the spec.
export type NodeStatus = 'READY' | 'CORDONED' | 'DRAINING' | 'UNREACHABLE';
export type InstanceState =
  | 'PENDING' | 'BOOTING' | 'RUNNING' | 'PAUSED' | 'STOPPED' | 'CRASHED' | 'FAILED' | 'UNREACHABLE' | 'TERMINATING';
export type OperationState = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ROLLED_BACK';
export const OPERATION_STATES: OperationState[] = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'ROLLED_BACK'];
export const OPERATION_TYPES = ['INSTANTIATE', 'TERMINATE', 'DRAIN', 'HANDOVER', 'MIGRATE'] as const;

export interface FieldError { field: string; message: string }
export interface Problem {
  type?: string; title?: string; status?: number; detail?: string; instance?: string; errors?: FieldError[];
}
export interface Page<T> { items: T[]; page: number; size: number; total: number }

export interface NodeLoad {
  guestsRunning?: number; guestsTotal?: number; memoryUsedBytes?: number; memoryAvailableBytes?: number;
  load1?: number; poolReady?: number; poolTarget?: number; bootP50Ms?: number; bootP99Ms?: number;
}
export interface EdgeNode {
  id: string; name: string; status: NodeStatus; cordoned: boolean; driver?: string; agentVersion?: string;
  capabilities?: string[]; labels: Record<string, string>;
  capacity: { cpus: number; memoryBytes: number; guestSlots: number };
  load?: NodeLoad; instances: number; registeredAt?: string; lastSeen?: string;
}
export interface NfPort { name: string; description?: string }
export interface NfDescriptor {
  name: string; version: string; description?: string; vendor?: string; ports: NfPort[];
  resources: { memoryMiB: number; cpuWeight?: number; pidsMax?: number };
  clickConfig: string; createdAt?: string;
}
export interface PortAttachment { name: string; bridge?: string; xconnect?: string; mac?: string }
export interface NfInstance {
  id: string; name?: string; nf: string; nfVersion?: string; node?: string; guestId?: string;
  desiredState: 'RUNNING' | 'DELETED'; state: InstanceState; generation: number; observedGeneration?: number;
  ports?: PortAttachment[]; labels?: Record<string, string>; error?: string; createdAt: string; updatedAt?: string;
}
export interface OperationPhase { name: string; state: OperationState; startTime?: string; durationMs?: number; detail?: string }
export interface Operation {
  id: string; type: string; state: OperationState; resource: { type: string; id: string };
  startTime: string; stateEnteredTime: string; phases: OperationPhase[]; error?: Problem;
}

// ---- subscribers and personal firewalls (issue 5) ----
export type FirewallAction = 'ALLOW' | 'DENY';
export type FirewallState = 'NONE' | 'PENDING' | 'RUNNING' | 'UPDATING' | 'FAILED' | 'UNREACHABLE' | 'TERMINATING';
export interface FirewallRule {
  action: FirewallAction; direction: 'OUTBOUND' | 'INBOUND'; protocol: 'TCP' | 'UDP' | 'ICMP' | 'ANY';
  remoteCidr?: string; portFrom?: number; portTo?: number; description?: string;
}
export interface FirewallPolicy { defaultInbound?: FirewallAction; defaultOutbound?: FirewallAction; stateful?: boolean; rules?: FirewallRule[] }
export interface FirewallStatus {
  state: FirewallState; mode: 'POLICY' | 'FAIL_OPEN' | 'BLOCKED'; node?: string; guestId?: string;
  generation?: number; appliedGeneration?: number; error?: string; updatedAt?: string;
  restarts?: number; lastRestartAt?: string;
}
export interface Subscriber {
  id: string; ueIp: string; edgeNode: string; attachment: string; failOpen: boolean; hasPolicy: boolean;
  firewall: FirewallStatus; createdAt: string; updatedAt?: string;
}
export interface SubscriberCreate { id: string; ueIp: string; edgeNode: string; attachment: string; failOpen?: boolean; policy?: FirewallPolicy }
export interface SubscriberFirewall { subscriberId: string; generation: number; firewall: FirewallStatus; policy?: FirewallPolicy }

// ---- live firewall counters and handover (issue 7, issue 6) ----
export interface DirectionCounters { allowed: number; denied: number }
export interface FirewallCounters {
  subscriberId: string; node: string; guestId: string; readAt: string;
  outbound: DirectionCounters; inbound: DirectionCounters; flows?: number; readMillis?: number;
  handlers: Record<string, number>;
}
export interface HandoverRequest { targetNode: string; attachment: string }
