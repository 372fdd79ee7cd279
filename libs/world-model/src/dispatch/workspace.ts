import { z } from 'zod';
import { campaignSchema } from './campaigns.ts';
import { gapScannerSchema } from './gaps.ts';
import { configIdSchema } from './names.ts';
import { schedulingRuleSchema } from './rules.ts';

const unique = <T>(items: readonly T[], key: (t: T) => string): boolean => new Set(items.map(key)).size === items.length;

/**
 * A workspace: the entities read from its data sources (none listed: all of
 * them), its scheduling rules, its campaigns and its gap scanner.
 */
export const workspaceSchema = z.object({
  id: configIdSchema,
  dataSources: z.array(z.string().min(1)).default([]),
  rules: z.array(schedulingRuleSchema).default([]),
  campaigns: z.array(campaignSchema).default([]),
  gapScanner: gapScannerSchema.default({
    enabled: false, interval: 60_000, cooldown: 7 * 86_400_000, batchSize: 500,
    inactiveAppointmentStatuses: ['cancelled', 'noshow', 'entered-in-error', 'fulfilled'], requirements: [],
  }),
}).strict()
  .refine((w) => unique(w.rules, (r) => r.id), { message: 'rule ids must be unique', path: ['rules'] })
  .refine((w) => unique(w.campaigns, (c) => c.id), { message: 'campaign ids must be unique', path: ['campaigns'] });

export const workspacesSchema = z.array(workspaceSchema)
  .refine((ws) => unique(ws, (w) => w.id), { message: 'workspace ids must be unique' });

export type Workspace = z.infer<typeof workspaceSchema>;

/** Does an entity read from these data sources belong to the workspace? */
export function inWorkspace(workspace: Pick<Workspace, 'dataSources'>, dataSources: readonly string[]): boolean {
  return workspace.dataSources.length === 0 || dataSources.some((d) => workspace.dataSources.includes(d));
}
