/**
 * Source health as a pure decider: each finished cycle (or refusal) moves the
 * state; `unhealthyAfter` consecutive failures mark the source unhealthy, and the
 * first success makes it healthy again.
 */
export interface SourceHealthState {
  consecutiveErrors: number;
  status: 'healthy' | 'unhealthy';
}

export type CycleOutcome =
  | { ok: true }
  | { ok: false; errorClass: string };

export const initialSourceHealth = (): SourceHealthState => ({ consecutiveErrors: 0, status: 'healthy' });

export function evolveSourceHealth(state: SourceHealthState, outcome: CycleOutcome, unhealthyAfter: number): SourceHealthState {
  if (outcome.ok) return { consecutiveErrors: 0, status: 'healthy' };
  const consecutiveErrors = state.consecutiveErrors + 1;
  return { consecutiveErrors, status: consecutiveErrors >= unhealthyAfter ? 'unhealthy' : 'healthy' };
}
