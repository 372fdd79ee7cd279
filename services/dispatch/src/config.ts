import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '@cr/core';
import { DEFAULT_TASK_RETRY, retryPolicySchema, workspacesSchema } from '@cr/world-model';

const ms = (fallback: number, min = 10) => z.coerce.number().int().min(min).default(fallback);

/**
 * The dispatch service's settings. Without `engine.url` nothing is dispatched:
 * the read model, the planners (rules, campaigns) and the gap scanner still run.
 */
export const dispatchConfigSchema = z.object({
  engine: z.object({
    /** The agent engine's base URL (`GET /v1/capacity`, `POST /v1/interactions`, `GET /v1/interactions/:id`). */
    url: z.url().optional(),
    /** Secret reference (`env:NAME` or `file:name`) of the engine's bearer token. */
    tokenRef: z.string().regex(/^(env|file):[A-Za-z0-9._-]{1,128}$/, 'a secret reference env:NAME or file:name').optional(),
    timeoutMs: ms(5_000, 100),
    /** Finished interactions with these outcomes count as failed attempts (retried); any other outcome completes the task. */
    retryOutcomes: z.array(z.string().min(1)).default(['no_answer', 'busy', 'failed']),
  }).strict().default({ timeoutMs: 5_000, retryOutcomes: ['no_answer', 'busy', 'failed'] }),
  /** Interactions in flight at most, across every instance (the engine's own capacity is checked too). */
  concurrency: z.coerce.number().int().min(1).max(10_000).default(10),
  /** How often due tasks are looked for. */
  tickMs: ms(1_000),
  /** How often a running interaction's status is asked for. */
  pollMs: ms(2_000),
  /** A claim not followed by a recorded start within this is taken over (same attempt, same idempotency key). */
  claimTimeoutMs: ms(120_000, 100),
  /** Due tasks claimed per tick at most. */
  batchSize: z.coerce.number().int().min(1).max(1_000).default(50),
  /** How often the outbox is sent to Kafka when nothing wakes it. */
  outboxMs: ms(200),
  retry: retryPolicySchema.default(DEFAULT_TASK_RETRY),
  workspaces: workspacesSchema.default([]),
}).strict();

export type DispatchConfig = z.infer<typeof dispatchConfigSchema>;

function jsonOf(text: string, where: string): unknown {
  try { return JSON.parse(text) as unknown; } catch (e) { throw new ConfigError(`invalid dispatch configuration`, [`${where}: not JSON (${(e as Error).message})`]); }
}

/**
 * The configuration from the environment: a JSON document (DISPATCH_CONFIG_FILE,
 * or DISPATCH_CONFIG as text), then single settings over it: DISPATCH_ENGINE_URL,
 * DISPATCH_ENGINE_TOKEN_REF, DISPATCH_CONCURRENCY, DISPATCH_TICK_MS,
 * DISPATCH_POLL_MS, DISPATCH_CLAIM_TIMEOUT_MS, DISPATCH_WORKSPACES (JSON).
 */
export function dispatchEnv(env: NodeJS.ProcessEnv): unknown {
  let base: Record<string, unknown> = {};
  if (env.DISPATCH_CONFIG_FILE) {
    let text: string;
    try { text = readFileSync(env.DISPATCH_CONFIG_FILE, 'utf8'); } catch { throw new ConfigError('invalid dispatch configuration', [`DISPATCH_CONFIG_FILE: cannot read ${env.DISPATCH_CONFIG_FILE}`]); }
    base = jsonOf(text, 'DISPATCH_CONFIG_FILE') as Record<string, unknown>;
  } else if (env.DISPATCH_CONFIG) {
    base = jsonOf(env.DISPATCH_CONFIG, 'DISPATCH_CONFIG') as Record<string, unknown>;
  }
  if (!base || typeof base !== 'object' || Array.isArray(base)) return base;
  const engine = { ...(base.engine as Record<string, unknown> | undefined) };
  if (env.DISPATCH_ENGINE_URL) engine.url = env.DISPATCH_ENGINE_URL;
  if (env.DISPATCH_ENGINE_TOKEN_REF) engine.tokenRef = env.DISPATCH_ENGINE_TOKEN_REF;
  const out: Record<string, unknown> = { ...base, ...(Object.keys(engine).length ? { engine } : {}) };
  const set = (key: string, value: string | undefined): void => { if (value !== undefined && value !== '') out[key] = value; };
  set('concurrency', env.DISPATCH_CONCURRENCY);
  set('tickMs', env.DISPATCH_TICK_MS);
  set('pollMs', env.DISPATCH_POLL_MS);
  set('claimTimeoutMs', env.DISPATCH_CLAIM_TIMEOUT_MS);
  if (env.DISPATCH_WORKSPACES) out.workspaces = jsonOf(env.DISPATCH_WORKSPACES, 'DISPATCH_WORKSPACES');
  return out;
}
