import { z } from 'zod';
import { authConfigSchema } from '@cr/auth';
import { thresholdsEnv, thresholdsFromEnvSchema } from '@cr/world-model';

export const apiConfigSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  host: z.string().default('127.0.0.1'),
  auth: authConfigSchema,
  /** The same thresholds review uses: tells a writer whether its write needs review. */
  thresholds: thresholdsFromEnvSchema,
  /** The highest confidence an agent inference write may carry (below the outbound threshold). */
  agentMaxConfidence: z.coerce.number().min(0).max(1).default(0.89),
  /** The /v1/pipeline endpoints. */
  observability: z.object({
    /** Longest wait for Kafka's answer (lag, offsets) before the live part is reported unavailable. */
    liveTimeoutMs: z.coerce.number().int().min(100).default(2_000),
    /** How long one live answer is reused. */
    liveCacheMs: z.coerce.number().int().min(0).default(3_000),
    /** A sink whose group lags more records than this makes the pipeline degraded. */
    sinkLagThreshold: z.coerce.number().int().min(0).default(1_000),
    /** How often rows past their retention are deleted. */
    pruneIntervalMs: z.coerce.number().int().min(1_000).default(600_000),
  }).strict().prefault({}),
}).strict();

export type ApiConfig = z.infer<typeof apiConfigSchema>;

export function apiEnv(env: NodeJS.ProcessEnv): unknown {
  return {
    port: env.API_PORT,
    host: env.API_HOST,
    auth: {
      jwksUrl: env.API_JWKS_URL || undefined,
      jwksFile: env.API_JWKS_FILE || undefined,
      issuer: env.API_JWT_ISSUER || undefined,
      audience: env.API_JWT_AUDIENCE || undefined,
      rolesClaim: env.API_JWT_ROLES_CLAIM || undefined,
    },
    thresholds: thresholdsEnv(env),
    agentMaxConfidence: env.API_AGENT_MAX_CONFIDENCE,
    observability: {
      liveTimeoutMs: env.API_LIVE_TIMEOUT_MS || undefined,
      liveCacheMs: env.API_LIVE_CACHE_MS || undefined,
      sinkLagThreshold: env.API_SINK_LAG_THRESHOLD || undefined,
      pruneIntervalMs: env.API_OBSERVABILITY_PRUNE_INTERVAL_MS || undefined,
    },
  };
}
