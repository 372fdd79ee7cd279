import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { sinkConfigSchema, sinkIdSchema, type SinkConfigInput } from '@cr/world-model';

const csv = z.string().transform((s) => s.split(',').map((t) => t.trim()).filter(Boolean));
const num = z.coerce.number();

/**
 * The sink's settings: a full configuration as JSON (SINK_CONFIG_FILE or
 * SINK_CONFIG_JSON; see README "Configuring a sink"), with the plain variables
 * on top (SINK_ID, SINK_FHIR_BASE_URL, SINK_THRESHOLD, ...), so a sink that needs
 * no field mappings is configured by variables alone. Every problem is reported
 * by its dotted path: `service.threshold`, `service.rateLimit.writesPerSecond`.
 */
export const sinkServiceConfigSchema = z.object({
  id: sinkIdSchema.optional(),
  type: z.enum(['fhir_store', 'smart_fhir', 'crm', 'rest']).optional(),
  /** The target's base URL (kept under this name: it was the first sink setting). */
  fhirBaseUrl: z.url().optional(),
  threshold: num.pipe(z.number().min(0).max(1)).optional(),
  entityTypes: csv.optional(),
  ownDataSourceIds: csv.optional(),
  humanReviewCategories: csv.optional(),
  writesPerSecond: num.pipe(z.number().positive()).optional(),
  reconcileIntervalMs: num.pipe(z.number().int().min(200)).optional(),
  retryMaxDelayMs: num.pipe(z.number().int().min(1)).optional(),
  concurrency: num.pipe(z.number().int()).optional(),
  configFile: z.string().min(1).optional(),
  configJson: z.string().min(1).optional(),
}).strict().transform((flat, ctx) => {
  let base: Record<string, unknown> = {};
  try {
    if (flat.configFile) base = JSON.parse(readFileSync(flat.configFile, 'utf8')) as Record<string, unknown>;
    if (flat.configJson) base = { ...base, ...(JSON.parse(flat.configJson) as Record<string, unknown>) };
  } catch (error) {
    ctx.addIssue({ code: 'custom', path: [flat.configJson ? 'configJson' : 'configFile'], message: `not readable JSON (${(error as Error).name})` });
    return z.NEVER;
  }
  const input = merge(base, flat);
  const parsed = sinkConfigSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      // Without a configuration file the base URL can only have come from SINK_FHIR_BASE_URL.
      const path = issue.path.join('.') === 'target.baseUrl' || issue.path.join('.') === 'target' ? ['fhirBaseUrl'] : issue.path;
      ctx.addIssue({ code: 'custom', path: path as PropertyKey[], message: issue.message });
    }
    return z.NEVER;
  }
  return parsed.data;
});

/** Variables over the JSON configuration. */
function merge(base: Record<string, unknown>, flat: Record<string, unknown>): SinkConfigInput {
  const c = structuredClone(base);
  const set = (path: string[], value: unknown): void => {
    if (value === undefined) return;
    let node = c as Record<string, unknown>;
    for (const p of path.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
    node[path[path.length - 1]!] = value;
  };
  set(['id'], flat.id);
  set(['type'], flat.type);
  set(['target', 'baseUrl'], flat.fhirBaseUrl);
  set(['threshold'], flat.threshold);
  set(['entityTypes'], flat.entityTypes);
  set(['ownDataSourceIds'], flat.ownDataSourceIds);
  set(['humanReview', 'categories'], flat.humanReviewCategories);
  set(['rateLimit', 'writesPerSecond'], flat.writesPerSecond);
  set(['reconcile', 'intervalMs'], flat.reconcileIntervalMs);
  set(['retry', 'maxDelayMs'], flat.retryMaxDelayMs);
  set(['concurrency'], flat.concurrency);
  return c as SinkConfigInput;
}

/** Environment variable -> setting (documented in the README). */
export function sinkEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  // An empty variable is an unset one: the chart passes every variable, and an empty
  // SINK_OWN_DATA_SOURCE_IDS must not wipe the echo list of a configuration file.
  const v = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  return {
    id: v('SINK_ID'), type: v('SINK_TYPE'), fhirBaseUrl: v('SINK_FHIR_BASE_URL') ?? v('SINK_BASE_URL'), threshold: v('SINK_THRESHOLD'),
    entityTypes: v('SINK_ENTITY_TYPES'), ownDataSourceIds: v('SINK_OWN_DATA_SOURCE_IDS'), humanReviewCategories: v('SINK_HUMAN_REVIEW_CATEGORIES'),
    writesPerSecond: v('SINK_WRITES_PER_SECOND'), reconcileIntervalMs: v('SINK_RECONCILE_INTERVAL_MS'), retryMaxDelayMs: v('SINK_RETRY_MAX_DELAY_MS'), concurrency: v('SINK_CONCURRENCY'),
    configFile: v('SINK_CONFIG_FILE'), configJson: v('SINK_CONFIG_JSON'),
  };
}
