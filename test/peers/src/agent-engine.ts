import type { IncomingMessage, ServerResponse } from 'node:http';
import { json, listen, readBody } from './http-util.ts';

/**
 * A stub agent engine on loopback: starts voice calls and text sessions, with
 * limited capacity and occasional failures (deterministic: a seeded generator).
 *   GET  /v1/capacity          -> { limit, active, available }
 *   POST /v1/interactions      (Idempotency-Key: the attempt id) -> 201 { interactionId, status }
 *                              | 200 the same interaction for a repeated key | 429 at capacity | 503 an injected failure
 *   GET  /v1/interactions/:id  -> { interactionId, status: in_progress | completed, outcome }
 * An interaction runs `durationMs`, then completes with the outcome `outcomeFor(taskId)` (default `reached`).
 */
export interface AgentEngineOptions {
  capacity: number;
  durationMs?: number;
  /** Share of new start requests answered 503, 0..1. */
  failureRate?: number;
  seed?: number;
  outcomeFor?: (taskId: string) => string;
  /** When set, every request needs `authorization: Bearer <token>`. */
  token?: string;
}

export interface StartRequest { attemptId: string; taskId: string; at: number; status: number }

export interface AgentEngineStats {
  capacityChecks: number;
  /** Every POST /v1/interactions, in arrival order. */
  starts: StartRequest[];
  injectedFailures: number;
  throttled: number;
  /** The most interactions running at once. */
  maxActive: number;
  /** Interactions started per task: a task dispatched twice shows 2. */
  interactionsByTask: Map<string, string[]>;
  /** The last request body per task (the pre-loaded context), for assertions only. */
  bodies: Map<string, Record<string, unknown>>;
}

interface Interaction { id: string; taskId: string; startedAt: number; outcome: string }

/** A small seeded generator (mulberry32): the same seed, the same failures. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export async function startAgentEngine(o: AgentEngineOptions) {
  const durationMs = o.durationMs ?? 500;
  const random = seeded(o.seed ?? 42);
  const byKey = new Map<string, Interaction>();
  const byId = new Map<string, Interaction>();
  const stats: AgentEngineStats = { capacityChecks: 0, starts: [], injectedFailures: 0, throttled: 0, maxActive: 0, interactionsByTask: new Map(), bodies: new Map() };
  let failureRate = o.failureRate ?? 0;
  let startDelayMs = 0;
  let seq = 0;

  const active = (now = Date.now()): number => [...byId.values()].filter((i) => now < i.startedAt + durationMs).length;
  const view = (i: Interaction): Record<string, unknown> => {
    const done = Date.now() >= i.startedAt + durationMs;
    return { interactionId: i.id, status: done ? 'completed' : 'in_progress', ...(done ? { outcome: i.outcome } : {}) };
  };

  async function start(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const key = req.headers['idempotency-key'];
    let body: Record<string, unknown>;
    try { body = JSON.parse(await readBody(req)) as Record<string, unknown>; } catch { return json(res, 400, { error: 'not json' }); }
    const taskId = typeof body.taskId === 'string' ? body.taskId : '';
    if (typeof key !== 'string' || !key || !taskId || typeof body.patient !== 'object') return json(res, 400, { error: 'idempotency-key, taskId and patient are required' });
    const record = (status: number): void => { stats.starts.push({ attemptId: key, taskId, at: Date.now(), status }); };
    stats.bodies.set(taskId, body);
    const known = byKey.get(key);
    if (known) { record(200); return json(res, 200, view(known)); }
    if (random() < failureRate) { stats.injectedFailures++; record(503); return json(res, 503, { error: 'injected failure' }); }
    if (active() >= o.capacity) { stats.throttled++; record(429); return json(res, 429, { error: 'at capacity' }, { 'retry-after': '1' }); }
    const i: Interaction = { id: `int-${++seq}`, taskId, startedAt: Date.now(), outcome: o.outcomeFor?.(taskId) ?? 'reached' };
    byKey.set(key, i);
    byId.set(i.id, i);
    stats.interactionsByTask.set(taskId, [...(stats.interactionsByTask.get(taskId) ?? []), i.id]);
    stats.maxActive = Math.max(stats.maxActive, active());
    record(201);
    // A slow answer after the engine has acted: the caller may give up or vanish before it hears back.
    if (startDelayMs) await new Promise((r) => setTimeout(r, startDelayMs));
    json(res, 201, view(i));
  }

  const peer = await listen(async (req, res) => {
    if (o.token && req.headers.authorization !== `Bearer ${o.token}`) return json(res, 401, { error: 'unauthorized' });
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method === 'GET' && path === '/v1/capacity') {
      stats.capacityChecks++;
      const n = active();
      return json(res, 200, { limit: o.capacity, active: n, available: Math.max(0, o.capacity - n) });
    }
    if (req.method === 'POST' && path === '/v1/interactions') return start(req, res);
    const m = /^\/v1\/interactions\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && m) {
      const i = byId.get(decodeURIComponent(m[1]!));
      return i ? json(res, 200, view(i)) : json(res, 404, { error: 'unknown interaction' });
    }
    json(res, 404, { error: 'not found' });
  });

  return {
    origin: peer.origin,
    stats,
    /** Interactions running now. */
    active: () => active(),
    setFailureRate(rate: number): void { failureRate = rate; },
    /** Answers new starts only this long after starting them. */
    setStartDelay(ms: number): void { startDelayMs = ms; },
    close: peer.close,
  };
}

export type AgentEngine = Awaited<ReturnType<typeof startAgentEngine>>;
