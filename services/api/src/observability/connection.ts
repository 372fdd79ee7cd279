/**
 * Connection health of a source from the health of its resources (each polled
 * on its own): the source is unhealthy while any resource is, and the errors
 * shown are those of the resource that failed last.
 */
export interface ResourceHealth {
  resourceType: string;
  status: 'healthy' | 'unhealthy';
  consecutiveErrors: number;
  lastErrorClass: string | null;
  lastError: string | null;
  /** When the last error happened (poll start), ms. */
  lastErrorAt: number | null;
  unhealthySince: number | null;
  recoveredAt: number | null;
  lastPollAt: number;
  lastIngestedAt: number | null;
}

export interface SourceConnection {
  status: 'healthy' | 'unhealthy' | 'unknown';
  consecutiveErrors: number;
  lastErrorClass: string | null;
  lastError: string | null;
  unhealthySince: number | null;
  recoveredAt: number | null;
}

export function sourceConnection(resources: readonly ResourceHealth[]): SourceConnection {
  if (resources.length === 0) {
    return { status: 'unknown', consecutiveErrors: 0, lastErrorClass: null, lastError: null, unhealthySince: null, recoveredAt: null };
  }
  const unhealthy = resources.filter((r) => r.status === 'unhealthy');
  const lastFailed = resources.filter((r) => r.lastErrorAt !== null).sort((a, b) => b.lastErrorAt! - a.lastErrorAt!)[0];
  const recovered = resources.map((r) => r.recoveredAt).filter((t): t is number => t !== null);
  return {
    status: unhealthy.length ? 'unhealthy' : 'healthy',
    consecutiveErrors: Math.max(...resources.map((r) => r.consecutiveErrors)),
    lastErrorClass: lastFailed?.lastErrorClass ?? null,
    lastError: lastFailed?.lastError ?? null,
    unhealthySince: unhealthy.length ? Math.min(...unhealthy.map((r) => r.unhealthySince ?? r.lastPollAt)) : null,
    // Only meaningful while the source is healthy again.
    recoveredAt: unhealthy.length || recovered.length === 0 ? null : Math.max(...recovered),
  };
}

/**
 * The next state of one resource after a poll report, as the transition
 * columns store it: entering `unhealthy` stamps unhealthySince, leaving it
 * stamps recoveredAt. Re-applying the same report changes nothing.
 */
export function nextTransition(
  before: { status: string; unhealthySince: number | null; recoveredAt: number | null } | undefined,
  report: { status: string; at: number },
): { unhealthySince: number | null; recoveredAt: number | null } {
  const wasUnhealthy = before?.status === 'unhealthy';
  if (report.status === 'unhealthy') {
    return { unhealthySince: wasUnhealthy ? before!.unhealthySince ?? report.at : report.at, recoveredAt: before?.recoveredAt ?? null };
  }
  return { unhealthySince: null, recoveredAt: wasUnhealthy ? report.at : before?.recoveredAt ?? null };
}
