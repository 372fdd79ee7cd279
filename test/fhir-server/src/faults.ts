/**
 * Fault injection for the test FHIR server. Faults apply only to requests under the FHIR base
 * (never to `/$admin`), optionally narrowed by `only`. Per request, in this order:
 *
 * 1. `latencyMs` is waited before anything else (also before an injected error);
 * 2. at most one counted fault fires, the first with count left of `drop`, `status429`, `status503`;
 *    its count is decremented;
 * 3. if none fired and the request is a create/update/patch, `dropWritesRatio` decides
 *    (deterministically, from `dropWritesSeed` and the number of eligible writes seen since the
 *    last `set`) whether the write is answered as a success but not stored.
 */
export interface FaultConfig {
  /** Milliseconds added to every (matching) FHIR request. */
  latencyMs?: number;
  /** The next `count` requests get 429 with this `Retry-After` (delta-seconds or HTTP-date; default "1"). */
  status429?: { count: number; retryAfter?: string };
  /** The next `count` requests get 503 (with `Retry-After` when given). */
  status503?: { count: number; retryAfter?: string };
  /**
   * The next `count` requests have their socket destroyed with no response. By default before
   * the request is processed; with `afterProcessing: true` after it was (a write is stored but the
   * client never learns it: the retry case).
   */
  drop?: { count: number; afterProcessing?: boolean };
  /** 0..1: share of creates/updates answered with success but not stored. */
  dropWritesRatio?: number;
  /** Seed for the `dropWritesRatio` choice (default 1). */
  dropWritesSeed?: number;
  /** Restrict all faults to these HTTP methods and/or resource types (the first path segment). */
  only?: { methods?: string[]; resourceTypes?: string[] };
}

export interface FaultTarget {
  method: string;
  resourceType: string | undefined;
  /** create (POST [type]), update (PUT) or patch (PATCH) */
  isWrite: boolean;
}

export interface FaultDecision {
  latencyMs: number;
  drop?: 'before' | 'after';
  status?: { code: 429 | 503; retryAfter?: string };
  dropWrite: boolean;
}

export interface FaultsFired {
  latency: number;
  drop: number;
  status429: number;
  status503: number;
  dropWrite: number;
}

export class FaultConfigError extends Error {
  override readonly name = 'FaultConfigError';
}

export class FaultControl {
  private config: FaultConfig = {};
  private writesSeen = 0;
  private fired: FaultsFired = emptyFired();

  /** Replaces the whole fault configuration (counts start afresh). Throws FaultConfigError. */
  set(config: FaultConfig): void {
    this.config = validateFaultConfig(config);
    this.writesSeen = 0;
  }

  /** Removes all faults. */
  clear(): void {
    this.config = {};
    this.writesSeen = 0;
  }

  /** The current configuration, with the counts that are left. */
  get(): FaultConfig {
    return structuredClone(this.config);
  }

  /** How many times each fault fired since creation or `resetFired()`. */
  firedCounts(): FaultsFired {
    return { ...this.fired };
  }

  resetFired(): void {
    this.fired = emptyFired();
  }

  /** Decides (and consumes counts for) the faults of one FHIR request. */
  decide(target: FaultTarget): FaultDecision {
    const c = this.config;
    const decision: FaultDecision = { latencyMs: 0, dropWrite: false };
    if (!matchesOnly(c.only, target)) {
      return decision;
    }
    if (c.latencyMs && c.latencyMs > 0) {
      decision.latencyMs = c.latencyMs;
      this.fired.latency++;
    }
    if (c.drop && c.drop.count > 0) {
      c.drop.count--;
      this.fired.drop++;
      decision.drop = c.drop.afterProcessing ? 'after' : 'before';
    } else if (c.status429 && c.status429.count > 0) {
      c.status429.count--;
      this.fired.status429++;
      decision.status = { code: 429, retryAfter: c.status429.retryAfter ?? '1' };
    } else if (c.status503 && c.status503.count > 0) {
      c.status503.count--;
      this.fired.status503++;
      decision.status = { code: 503, ...(c.status503.retryAfter === undefined ? {} : { retryAfter: c.status503.retryAfter }) };
    } else if (target.isWrite && c.dropWritesRatio && c.dropWritesRatio > 0) {
      const n = this.writesSeen++;
      decision.dropWrite = unitHash(c.dropWritesSeed ?? 1, n) < c.dropWritesRatio;
    }
    return decision;
  }

  /** Called by the server when a write chosen by `dropWritesRatio` was actually not stored. */
  noteDroppedWrite(): void {
    this.fired.dropWrite++;
  }
}

function emptyFired(): FaultsFired {
  return { latency: 0, drop: 0, status429: 0, status503: 0, dropWrite: 0 };
}

function matchesOnly(only: FaultConfig['only'], target: FaultTarget): boolean {
  if (!only) {
    return true;
  }
  if (only.methods && !only.methods.some((m) => m.toUpperCase() === target.method.toUpperCase())) {
    return false;
  }
  if (only.resourceTypes && (target.resourceType === undefined || !only.resourceTypes.includes(target.resourceType))) {
    return false;
  }
  return true;
}

/** Deterministic hash of (seed, n) to [0, 1) (murmur3 finalizer). */
export function unitHash(seed: number, n: number): number {
  let h = (Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(n | 0, 0x85ebca6b)) | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** Checks an untrusted (e.g. JSON from the admin endpoint) fault configuration; returns a copy. */
export function validateFaultConfig(input: unknown): FaultConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new FaultConfigError('fault config must be a JSON object');
  }
  const raw = input as Record<string, unknown>;
  const known = ['latencyMs', 'status429', 'status503', 'drop', 'dropWritesRatio', 'dropWritesSeed', 'only'];
  for (const key of Object.keys(raw)) {
    if (!known.includes(key)) {
      throw new FaultConfigError(`unknown fault "${key}" (known: ${known.join(', ')})`);
    }
  }
  const out: FaultConfig = {};
  if (raw.latencyMs !== undefined) {
    out.latencyMs = nonNegative(raw.latencyMs, 'latencyMs');
  }
  if (raw.status429 !== undefined) {
    const o = object(raw.status429, 'status429');
    out.status429 = { count: count(o.count, 'status429.count') };
    if (o.retryAfter !== undefined) {
      out.status429.retryAfter = retryAfter(o.retryAfter, 'status429.retryAfter');
    }
  }
  if (raw.status503 !== undefined) {
    const o = object(raw.status503, 'status503');
    out.status503 = { count: count(o.count, 'status503.count') };
    if (o.retryAfter !== undefined) {
      out.status503.retryAfter = retryAfter(o.retryAfter, 'status503.retryAfter');
    }
  }
  if (raw.drop !== undefined) {
    const o = object(raw.drop, 'drop');
    out.drop = { count: count(o.count, 'drop.count') };
    if (o.afterProcessing !== undefined) {
      if (typeof o.afterProcessing !== 'boolean') {
        throw new FaultConfigError('drop.afterProcessing must be a boolean');
      }
      out.drop.afterProcessing = o.afterProcessing;
    }
  }
  if (raw.dropWritesRatio !== undefined) {
    const r = raw.dropWritesRatio;
    if (typeof r !== 'number' || !(r >= 0 && r <= 1)) {
      throw new FaultConfigError('dropWritesRatio must be a number in [0, 1]');
    }
    out.dropWritesRatio = r;
  }
  if (raw.dropWritesSeed !== undefined) {
    if (typeof raw.dropWritesSeed !== 'number' || !Number.isInteger(raw.dropWritesSeed)) {
      throw new FaultConfigError('dropWritesSeed must be an integer');
    }
    out.dropWritesSeed = raw.dropWritesSeed;
  }
  if (raw.only !== undefined) {
    const o = object(raw.only, 'only');
    out.only = {};
    if (o.methods !== undefined) {
      out.only.methods = strings(o.methods, 'only.methods').map((m) => m.toUpperCase());
    }
    if (o.resourceTypes !== undefined) {
      out.only.resourceTypes = strings(o.resourceTypes, 'only.resourceTypes');
    }
  }
  return out;
}

function object(v: unknown, name: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new FaultConfigError(`${name} must be an object`);
  }
  return v as Record<string, unknown>;
}

function nonNegative(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new FaultConfigError(`${name} must be a non-negative number`);
  }
  return v;
}

function count(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new FaultConfigError(`${name} must be a non-negative integer`);
  }
  return v;
}

function retryAfter(v: unknown, name: string): string {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) {
    return String(v);
  }
  if (typeof v !== 'string' || v.trim() === '' || /[\r\n]/.test(v)) {
    throw new FaultConfigError(`${name} must be delta-seconds or an HTTP-date`);
  }
  return v;
}

function strings(v: unknown, name: string): string[] {
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) {
    throw new FaultConfigError(`${name} must be an array of strings`);
  }
  return v as string[];
}
