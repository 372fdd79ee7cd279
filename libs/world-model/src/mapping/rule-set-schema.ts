import { z } from 'zod';
import { ORIGIN_CONFIDENCE } from '../confidence.ts';
import type { Origin } from '../types.ts';
import { parsePath } from './dot-path.ts';
import type { RuleSet } from './rules.ts';
import { TRANSFORM_NAMES } from './transforms.ts';

/**
 * The JSON form of a RuleSet, as a data source configures it
 * (`config.mapping.ruleSets[]`). Every problem is reported with its dotted path,
 * e.g. `mapping.ruleSets.0.fields.phone.path: bad path step [system]`.
 */

const dotPath = z.string().min(1).superRefine((path, ctx) => {
  try { parsePath(path); } catch (error) { ctx.addIssue({ code: 'custom', message: (error as Error).message }); }
});

const transforms = z.array(z.enum(TRANSFORM_NAMES)).optional();

export const fieldRuleSchema = z.object({
  path: z.union([dotPath, z.array(dotPath).min(1)]),
  pick: z.enum(['first', 'all']).optional(),
  default: z.unknown().optional(),
  transforms,
  codeMap: z.record(z.string(), z.string()).optional(),
  prefix: z.string().optional(),
  join: z.string().optional(),
  required: z.boolean().optional(),
}).strict();

export const identifierRuleSchema = z.object({
  path: dotPath,
  system: z.string().min(1).optional(),
  transforms,
}).strict();

const ORIGINS = Object.keys(ORIGIN_CONFIDENCE) as [Origin, ...Origin[]];

export const ruleSetConfigSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and -'),
  /** Bump it when the rules change: events carry `<id>@<version>` and get new ids under a new version. */
  version: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/, 'letters, digits, . _ -'),
  /** The source's resource type this rule set maps, e.g. `Patient` or `PatientRow`. */
  resourceType: z.string().min(1),
  /** Any entity type, known or new: new types need no migration. */
  entityType: z.string().regex(/^[A-Z][A-Za-z0-9]{0,63}$/, 'PascalCase, e.g. Patient or ReferralRequest'),
  origin: z.enum(ORIGINS),
  /** Defaults to the origin's confidence (1.0 for system syncs). */
  confidence: z.number().min(0).max(1).optional(),
  category: z.string().min(1).optional(),
  fields: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_.]*$/, 'attribute names are dotted words, e.g. name.family'), fieldRuleSchema),
  identifiers: z.array(identifierRuleSchema).default([]),
}).strict().refine((r) => Object.keys(r.fields).length > 0 || r.identifiers.length > 0, { message: 'a rule set needs at least one field or identifier' });

export type RuleSetConfig = z.input<typeof ruleSetConfigSchema>;

/** `mapping` in a data source's config. */
export const mappingConfigSchema = z.object({
  ruleSets: z.array(ruleSetConfigSchema).default([]),
}).strict().superRefine((m, ctx) => {
  const seen = new Map<string, number>();
  m.ruleSets.forEach((r, i) => {
    const before = seen.get(r.resourceType);
    if (before !== undefined) ctx.addIssue({ code: 'custom', path: ['ruleSets', i, 'resourceType'], message: `${r.resourceType} is already mapped by ruleSets.${before}` });
    seen.set(r.resourceType, i);
  });
});

export type MappingConfig = z.infer<typeof mappingConfigSchema>;

/** A validated rule-set config as the RuleSet the mapper runs. */
export function toRuleSet(config: z.infer<typeof ruleSetConfigSchema>): RuleSet {
  const { confidence, category, ...rest } = config;
  return { ...rest, confidence: confidence ?? ORIGIN_CONFIDENCE[config.origin], ...(category ? { category } : {}) } as RuleSet;
}
