import { z } from 'zod';
import { commonConfigShape, resourceTypeSchema } from './common.ts';

/**
 * Which files a drop folder holds and how to read them. A CSV row becomes a raw
 * record of `resourceType` (e.g. PatientRow) whose payload is column -> string.
 */
export const fileRuleSchema = z.object({
  /** Glob on the file name: `*` any run of characters, `?` one. */
  pattern: z.string().min(1).regex(/^[^/\\]+$/, 'a file-name pattern without folders'),
  format: z.enum(['csv', 'ndjson', 'fhir_bundle', 'json']),
  /** Required for csv and json; for ndjson and bundles the resource's own resourceType is used when absent. */
  resourceType: resourceTypeSchema.optional(),
  /** Column (csv) or dot path (json, ndjson) holding the record's id; default: `id`, else file and line. */
  idField: z.string().min(1).optional(),
  /** For json: dot path to the array of records; absent, the file is one record or a top-level array. */
  itemsPath: z.string().min(1).optional(),
  delimiter: z.string().length(1).default(','),
}).strict().refine((r) => !['csv', 'json'].includes(r.format) || r.resourceType !== undefined, { message: 'required for csv and json files', path: ['resourceType'] });

export const fileDropConfigSchema = z.object({
  /** A local folder; other object stores plug in behind the same adapter. */
  directory: z.string().min(1),
  intervalMs: z.number().int().min(100).default(5_000),
  files: z.array(fileRuleSchema).min(1),
  /** After a file is processed: moved to `processedDir` (relative to the folder), or marked with a `.done` file. */
  after: z.enum(['move', 'mark']).default('move'),
  processedDir: z.string().regex(/^[A-Za-z0-9._-]+$/, 'a folder name inside the drop folder').default('.processed'),
  ...commonConfigShape,
}).strict();

export type FileRule = z.infer<typeof fileRuleSchema>;
export type FileDropConfig = z.infer<typeof fileDropConfigSchema>;
