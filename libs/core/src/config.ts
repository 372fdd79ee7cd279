import { z } from 'zod';
import { ConfigError } from './errors.ts';

/** Dotted path of a zod issue, e.g. `sources.0.auth.clientId`. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.length ? path.map(String).join('.') : '(root)';
}

/** Formats zod issues as `path: message` lines. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${issuePath(i.path)}: ${i.message}`);
}

/**
 * Validates `input` against `schema`; throws a ConfigError naming every bad field
 * by its dotted path. Called at start-up before anything connects.
 */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, what = 'configuration'): z.infer<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ConfigError(`invalid ${what}`, formatIssues(result.error));
  return result.data;
}

/**
 * Turns flat environment variables into a nested object using `__` as the
 * separator and camelCasing each segment: `KAFKA__CLIENT_ID` -> kafka.clientId.
 * Only variables that start with `prefix` are read.
 */
export function envToObject(env: NodeJS.ProcessEnv, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith(prefix) || value === undefined) continue;
    const segments = key.slice(prefix.length).split('__').filter(Boolean).map(camel);
    let node: Record<string, unknown> = out;
    segments.forEach((seg, idx) => {
      if (idx === segments.length - 1) node[seg] = value;
      else node = (node[seg] ??= {}) as Record<string, unknown>;
    });
  }
  return out;
}

function camel(s: string): string {
  return s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Shared config pieces every service uses. */
export const kafkaConfigSchema = z.object({
  brokers: z.string().min(1).transform((s) => s.split(',').map((b) => b.trim())),
  clientId: z.string().min(1),
  registryUrl: z.url(),
}).strict();

export const opsConfigSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(0),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
}).strict();
