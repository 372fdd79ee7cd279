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
  };
}
