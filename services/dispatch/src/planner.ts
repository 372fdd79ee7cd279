import {
  inWorkspace, planCampaign, planRule, plannedTaskId,
  type EntityView, type TaskPlan, type Workspace,
} from '@cr/world-model';
import type { TaskStore } from './task-store.ts';

export interface Planner {
  /** Entity types the planners read (patients for campaigns, the rules' anchors). */
  readonly entityTypes: ReadonlySet<string>;
  /** Brings the tasks an entity calls for in line with it: schedule, move or cancel. */
  onEntity(entity: EntityView, causationId: string): Promise<number>;
  /** The same for one campaign only (the sweep over patients already known). */
  onCampaignPatient(workspace: Workspace, campaignId: string, patient: EntityView): Promise<number>;
}

/**
 * Scheduling rules and campaigns, applied as an entity's projected state
 * arrives: a rescheduled appointment moves its reminder at once, a cancelled one
 * cancels it. The decisions are the pure planners'; the task decider makes a
 * repeated plan a no-op.
 */
export function createPlanner(o: { workspaces: readonly Workspace[]; tasks: TaskStore }): Planner {
  const entityTypes = new Set(['Patient', 'Appointment', ...o.workspaces.flatMap((w) => w.rules.map((r) => r.entityType))]);

  async function apply(plan: TaskPlan, taskId: string, causationId: string): Promise<number> {
    const command = plan.action === 'schedule'
      ? { type: 'schedule' as const, spec: plan.spec, reason: causationId }
      : { type: 'cancel' as const, reason: plan.reason };
    const change = await o.tasks.command(taskId, command, { origin: 'agent', causationId });
    return change.events.length;
  }

  return {
    entityTypes,
    async onEntity(entity, causationId) {
      let changes = 0;
      for (const w of o.workspaces) {
        if (!inWorkspace(w, entity.dataSources)) continue;
        for (const rule of w.rules) {
          if (rule.entityType !== entity.entityType) continue;
          changes += await apply(planRule(rule, entity, w.id), plannedTaskId('rule', w.id, rule.id, entity.entityId), causationId);
        }
        if (entity.entityType !== 'Patient') continue;
        for (const c of w.campaigns) {
          changes += await apply(planCampaign(c, entity, w.id), plannedTaskId('campaign', w.id, c.id, entity.entityId), causationId);
        }
      }
      return changes;
    },
    async onCampaignPatient(workspace, campaignId, patient) {
      const c = workspace.campaigns.find((x) => x.id === campaignId);
      if (!c) return 0;
      const plan = planCampaign(c, patient, workspace.id);
      if (plan.action === 'cancel') return 0; // the sweep only adds; changes come through onEntity
      return apply(plan, plan.spec.taskId, `campaign:${campaignId}`);
    },
  };
}
