import { contentHash, describeError, isRetriable, PayloadError, type Logger } from '@cr/core';
import {
  dependenciesOf, fhirPreflight, gate, isFhirSink, missingRequired, ownTargetId, planSteps, referenceKeys, translate, withPaths,
  type EntityState, type SinkConfig, type SinkPolicy, type StepContext,
} from '@cr/world-model';
import { resolveDependency } from './dependency.ts';
import { errorCode, runStep } from './run-step.ts';
import type { CodeMapper } from './code-mapper.ts';
import type { KeyedMutex } from './keyed-mutex.ts';
import type { SinkMetrics } from './metrics.ts';
import type { RateLimiter } from './rate-limiter.ts';
import { resultFor, type Outcome, type SyncResultValue, type SyncStepValue, type Trigger } from './results.ts';
import type { ApprovalStore } from './store/approvals.ts';
import type { EntityCopies } from './store/entities.ts';
import type { Ledger, StepRecord } from './store/ledger.ts';
import type { Target } from './target/index.ts';
import type { WriteDeps } from './upsert.ts';

export interface SyncContext {
  config: SinkConfig;
  target: Target;
  limiter: RateLimiter;
  ledger: Ledger;
  entities: EntityCopies;
  approvals: ApprovalStore;
  codes: CodeMapper;
  mutex: KeyedMutex;
  metrics: SinkMetrics;
  logger: Logger;
  now: () => number;
}

export interface SyncRequest {
  state: EntityState;
  trigger: Trigger;
  attempt: number;
  /** Read the target's records back even when the ledger says nothing changed (reconciliation). */
  verify: boolean;
  /** Heartbeat while waiting (consumer group membership). */
  tick?: () => Promise<void>;
  /** 1 inside an autonomous creation of a dependency: no further creations. */
  depth?: number;
}

/** A refusal that goes to sink.dead-letter with its context. */
export interface SyncFailure {
  error: unknown;
  step: string;
  recordType: string;
}

export interface SyncOutcome {
  /** This entity's result last; before it, those of dependencies created on the way. */
  results: SyncResultValue[];
  failure?: SyncFailure;
  /** Entities whose writes waited for this one: re-queue them. */
  dependents: string[];
}

/**
 * One entity through the sink: gates, dependencies, translation, then each step
 * of the write, recorded in the ledger. Retriable errors are thrown (the caller
 * retries; steps already done stay done); refusals come back as a failure to
 * dead-letter. Call it under the entity's mutex.
 */
export async function syncEntity(ctx: SyncContext, req: SyncRequest): Promise<SyncOutcome> {
  const { config: c, ledger } = ctx;
  const { state } = req;
  const mapping = c.mappings[state.entityType];
  const position = await ledger.position(state.entityId);
  const result = (r: Partial<SyncResultValue> & { outcome: Outcome }): SyncResultValue => resultFor(c.id, state, req.trigger, req.attempt, ctx.now(), r);
  const prior: SyncResultValue[] = [];

  async function finish(r: SyncResultValue, extra: { contentHash?: string; wrote?: boolean; verified?: boolean; failure?: SyncFailure } = {}): Promise<SyncOutcome> {
    await ledger.record({
      entityId: state.entityId, entityType: state.entityType, version: state.version, outcome: r.outcome, reason: r.reason, reasonCode: r.reasonCode,
      trigger: req.trigger, attempt: req.attempt, contentHash: extra.contentHash ?? null, targetType: r.targetType, targetId: r.targetId,
      targetVersion: r.targetVersion, waitingOn: r.dependsOn, wrote: extra.wrote ?? false, verified: extra.verified ?? false,
    });
    ctx.metrics.results.inc({ sink: c.id, outcome: r.outcome, trigger: req.trigger });
    ctx.logger.info({ sinkId: c.id, entityId: state.entityId, version: state.version, outcome: r.outcome, reasonCode: r.reasonCode, trigger: req.trigger, targetId: r.targetId }, 'sink.result');
    const inTarget = r.outcome === 'written' || r.outcome === 'unchanged';
    const dependents = inTarget ? await ledger.waitingFor([state.entityId, ...referenceKeys(state)]) : [];
    return { results: [...prior, r], dependents, ...(extra.failure ? { failure: extra.failure } : {}) };
  }

  const policy: SinkPolicy = {
    sinkId: c.id, ownDataSourceIds: c.ownDataSourceIds, threshold: c.threshold, entityTypes: c.entityTypes,
    humanReviewCategories: c.humanReview.categories, categoryOf: (f) => mapping?.fields[f]?.category, ...(mapping ? { fields: Object.keys(mapping.fields) } : {}),
  };
  const g = gate(state, policy, await ctx.approvals.forEntity(state.entityId));
  if (!g.pass || !mapping) {
    const why = g.pass ? { code: 'entity_type', reason: `no mapping for ${state.entityType}` } : g;
    return finish(result({ outcome: 'gated', reason: why.reason, reasonCode: why.code, heldFields: g.held, targetType: position?.targetType ?? null, targetId: position?.targetId ?? null }));
  }
  const held: Record<string, string> = { ...g.held };
  const knownId = position?.targetId ?? ownTargetId(state, c.ownDataSourceIds, mapping.target) ?? null;

  // Dependencies: each must exist in the target at or above the threshold.
  const references: Record<string, string> = {};
  for (const dep of dependenciesOf(mapping, g.fields)) {
    const r = await resolveDependency(ctx, dep, req, syncEntity);
    prior.push(...r.results);
    if (r.ok) { references[dep.field] = r.reference; continue; }
    if (dep.required) {
      return finish(result({ outcome: 'dependency_failed', reason: r.reason, reasonCode: 'dependency', dependsOn: r.waitingOn, heldFields: held, targetType: mapping.target, targetId: knownId }));
    }
    held[dep.field] = 'dependency_failed';
  }

  // Translation: codes (LLM when configured, else the table), then the deterministic mapper.
  const codes: Record<string, string> = {};
  for (const [field, fm] of Object.entries(mapping.fields)) {
    const f = g.fields[field];
    if (!fm.code?.llm || !f) continue;
    const value = JSON.parse(f.valueJson) as unknown;
    const code = await ctx.codes.code(field, Array.isArray(value) ? value.join(' ') : String(value), fm.code);
    if (code) codes[field] = code;
  }
  const t = translate({ mapping, fields: g.fields, references, codes });
  for (const f of Object.keys(t.skipped)) held[f] ??= 'skipped';
  const missing = missingRequired(mapping, t.written);
  if (t.written.length === 0 || (missing.length > 0 && !knownId)) {
    const reason = t.written.length === 0 ? 'no field can be written' : `cannot create ${mapping.target}: required ${missing.map((m) => `${m} (${held[m] ?? 'absent'})`).join(', ')}`;
    return finish(result({ outcome: 'gated', reason, reasonCode: 'required_fields', heldFields: held, targetType: mapping.target, targetId: knownId }));
  }
  const hash = contentHash({ entries: t.entries, steps: mapping.steps });
  if (!req.verify && position?.contentHash === hash && position.targetId && (position.outcome === 'written' || position.outcome === 'unchanged')) {
    return finish(result({ outcome: 'unchanged', heldFields: held, targetType: position.targetType, targetId: position.targetId, targetVersion: position.targetVersion }), { contentHash: hash });
  }
  if (isFhirSink(c.type)) {
    const problems = fhirPreflight(mapping.target, withPaths({ resourceType: mapping.target }, t.entries));
    if (problems.length > 0) {
      const error = new PayloadError(`preflight: ${problems.join('; ')}`);
      return finish(result({ outcome: 'failed', reason: error.message, reasonCode: 'validation', heldFields: held, targetType: mapping.target, targetId: knownId }), { failure: { error, step: 'upsert', recordType: mapping.target } });
    }
  }

  // The write, step by step; a step done for this version is not run again.
  const done = await ledger.steps(state.entityId, state.version);
  const writeDeps: WriteDeps = {
    target: ctx.target, limiter: ctx.limiter, ...(req.tick ? { tick: req.tick } : {}),
    onWrite: (recordType, kind, waitedMs) => {
      ctx.metrics.writes.inc({ sink: c.id, record_type: recordType, kind });
      if (waitedMs > 0) ctx.metrics.rateLimitWait.inc({ sink: c.id }, waitedMs / 1000);
    },
  };
  const steps: SyncStepValue[] = [];
  let self: StepRecord = { status: 'done', contentHash: hash, targetType: mapping.target, targetId: knownId, targetVersion: position?.targetVersion ?? null };
  let wrote = false;
  for (const step of planSteps(mapping)) {
    const before = done.get(step.name);
    // Done for this version and this content (a re-evaluation after an approval has other content).
    if (before?.status === 'done' && before.contentHash === hash && !req.verify) {
      if (step.kind === 'upsert') self = before;
      steps.push({ name: step.name, status: 'skipped', targetType: before.targetType, targetId: before.targetId });
      continue;
    }
    try {
      const stepCtx: StepContext = { fields: g.fields, self: self.targetId ? ctx.target.reference(mapping.target, self.targetId) : '', references };
      const r = await runStep(ctx, writeDeps, step, { state, mapping, entries: t.entries, hash, self, before, ctx: stepCtx });
      wrote ||= r.wrote;
      if (step.kind === 'upsert') self = r.record;
      await ledger.step(state.entityId, state.version, step.name, r.skipped ? { ...r.record, error: r.skipped } : r.record);
      steps.push({ name: step.name, status: r.skipped ? 'skipped' : 'done', targetType: r.record.targetType, targetId: r.record.targetId });
    } catch (error) {
      if (isRetriable(error)) throw error;
      const d = describeError(error);
      await ledger.step(state.entityId, state.version, step.name, { status: 'failed', contentHash: hash, targetType: null, targetId: null, targetVersion: null, error: d.message });
      steps.push({ name: step.name, status: 'failed', targetType: step.kind === 'upsert' ? mapping.target : null, targetId: null });
      const code = errorCode(error);
      const recordType = step.kind === 'upsert' ? mapping.target : step.kind === 'create' ? step.target : mapping.fields[step.reference]?.reference ?? 'unknown';
      return finish(result({ outcome: 'failed', reason: d.message, reasonCode: code, heldFields: held, steps, targetType: mapping.target, targetId: self.targetId, targetVersion: self.targetVersion }), {
        failure: { error, step: step.name, recordType },
      });
    }
  }
  return finish(result({ outcome: wrote ? 'written' : 'unchanged', heldFields: held, steps, targetType: mapping.target, targetId: self.targetId, targetVersion: self.targetVersion }), { contentHash: hash, wrote, verified: !wrote });
}
