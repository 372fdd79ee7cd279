import { z } from 'zod';
import { positiveDurationSchema } from './duration.ts';
import { configIdSchema, entityTypeNameSchema, fieldNameSchema } from './names.ts';
import { isBlank } from './campaigns.ts';

/**
 * A gap requirement: which entities must have which fields. "Patients with
 * upcoming appointments must have insurance information":
 *   { id: 'insurance-before-visit', entityType: 'Patient', upcomingAppointmentWithin: '30d',
 *     requiredFields: ['insurance.payer', 'insurance.memberId'] }
 */
export const gapRequirementSchema = z.object({
  id: configIdSchema,
  description: z.string().max(500).optional(),
  entityType: entityTypeNameSchema.default('Patient'),
  requiredFields: z.array(fieldNameSchema).min(1).max(50),
  /** Only entities (patients) with a booked appointment starting this soon; absent: every entity of the type. */
  upcomingAppointmentWithin: positiveDurationSchema.optional(),
}).strict();

export const DEFAULT_GAP_COOLDOWN_MS = 7 * 86_400_000;

/** Per workspace; disabled unless turned on. */
export const gapScannerSchema = z.object({
  enabled: z.boolean().default(false),
  /** Time between two scans of the workspace (one query each). */
  interval: positiveDurationSchema.default(60_000),
  /** An entity is surfaced at most once per cooldown. */
  cooldown: positiveDurationSchema.default(DEFAULT_GAP_COOLDOWN_MS),
  /** Entities surfaced per scan at most; the rest wait for the next tick. */
  batchSize: z.number().int().min(1).max(10_000).default(500),
  /** Appointment statuses that do not count as upcoming. */
  inactiveAppointmentStatuses: z.array(z.string().min(1)).default(['cancelled', 'noshow', 'entered-in-error', 'fulfilled']),
  requirements: z.array(gapRequirementSchema).default([]),
}).strict()
  .refine((g) => !g.enabled || g.requirements.length > 0, { message: 'an enabled gap scanner needs at least one requirement', path: ['requirements'] })
  .refine((g) => new Set(g.requirements.map((r) => r.id)).size === g.requirements.length, { message: 'requirement ids must be unique', path: ['requirements'] });

export type GapRequirement = z.infer<typeof gapRequirementSchema>;
export type GapScannerConfig = z.infer<typeof gapScannerSchema>;

/** A request to collect missing data (a form), on `surfaces.requests`. */
export interface SurfaceRequest {
  requestId: string;
  entityId: string;
  entityType: string;
  requirement: string;
  missingFields: string[];
  at: number;
  workspaceId?: string | null;
}

/** The required fields an entity lacks (absent, null, empty), in the requirement's order. */
export function missingFields(fields: Readonly<Record<string, unknown>>, required: readonly string[]): string[] {
  return required.filter((f) => isBlank(fields[f]));
}

/** The surface request for one gap found at `at`; its id is fixed by the workspace, requirement, entity and scan time. */
export function surfaceRequestFor(g: { workspaceId: string; requirement: GapRequirement; entityId: string; missing: string[]; at: number }): SurfaceRequest {
  return {
    requestId: `gap:${g.workspaceId}:${g.requirement.id}:${g.entityId}:${g.at}`,
    entityId: g.entityId, entityType: g.requirement.entityType, requirement: g.requirement.id,
    missingFields: g.missing, at: g.at, workspaceId: g.workspaceId,
  };
}
