import { z } from 'zod';

/** Ingest's own settings, from the environment (see the README). */
export const ingestSettingsSchema = z.object({
  /** Port of the webhook receiver (`POST /webhooks/<data source id>`); 0 picks one. */
  webhookPort: z.coerce.number().int().min(0).max(65535).default(0),
  webhookHost: z.string().min(1).default('127.0.0.1'),
  /** Folder of the file secret store (`file:` references). */
  secretsDir: z.string().min(1).optional(),
  /**
   * Hosts, IPs or CIDRs that outbound token-exchange calls may reach although
   * they are private, loopback or link-local. Tests only; empty in production.
   */
  ssrfAllow: z.string().default('').transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)),
}).strict();

export type IngestSettings = z.infer<typeof ingestSettingsSchema>;

export function ingestEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  return { webhookPort: env.INGEST_WEBHOOK_PORT, webhookHost: env.INGEST_WEBHOOK_HOST, secretsDir: env.SECRETS_DIR, ssrfAllow: env.INGEST_SSRF_ALLOW };
}
