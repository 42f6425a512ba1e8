import type { RuntimeStatus } from './generated/wire-messages.js';

/** A replica's life: started on demand, restarted after a death, given up after repeated ones. */
export type ReplicaState = 'idle' | 'starting' | 'ready' | 'restarting' | 'failed' | 'stopping' | 'stopped';

/** What `status()` reports of one replica (types only, so hosts compile it without Node's types). */
export interface ReplicaStatus {
  device: string;
  pid: number | null;
  state: ReplicaState;
  restarts: number;
  engine_calls: number;
  tokens_generated: number;
  reason?: string;
  runtime?: RuntimeStatus;
  /** The replica's live processes: the runtime, its MPI daemon and workers. */
  processes: { pid: number; ppid: number; command: string }[];
}
