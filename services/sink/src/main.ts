import { z } from 'zod';
import { contentHash } from '@cr/core';
import { TOPICS, compositeKey, type OutputMessage } from '@cr/kafka';
import { runService } from '@cr/runtime';
import { gate, toFhirPatient, DEFAULT_VERIFIED_THRESHOLD, type EntityState } from '@cr/world-model';
import { createLedger } from './ledger.ts';
import { writePatient } from './fhir-writer.ts';

const configSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and -'),
  fhirBaseUrl: z.url(),
  threshold: z.coerce.number().min(0).max(1).default(DEFAULT_VERIFIED_THRESHOLD),
  entityTypes: z.string().default('Patient').transform((s) => s.split(',').map((t) => t.trim()).filter(Boolean)),
  /** Data sources reading from the same system: their values are never written back (no echo). */
  ownDataSourceIds: z.string().default('').transform((s) => s.split(',').map((t) => t.trim()).filter(Boolean)),
}).strict();

await runService({
  name: 'sink',
  configSchema,
  env: (env) => ({ id: env.SINK_ID, fhirBaseUrl: env.SINK_FHIR_BASE_URL, threshold: env.SINK_THRESHOLD, entityTypes: env.SINK_ENTITY_TYPES, ownDataSourceIds: env.SINK_OWN_DATA_SOURCE_IDS }),
  async start({ kafka, ops, db, config, logger }) {
    const ledger = await createLedger(db);
    const policy = { sinkId: config.id, ownDataSourceIds: config.ownDataSourceIds, threshold: config.threshold, entityTypes: config.entityTypes };
    const result = (state: EntityState, outcome: string, extra: { reason?: string; targetId?: string | null; targetVersion?: string | null } = {}): OutputMessage => ({
      topic: TOPICS.sinkResults,
      key: compositeKey(config.id, state.entityId),
      value: {
        sinkId: config.id, entityId: state.entityId, entityVersion: state.version, outcome,
        reason: extra.reason ?? null, targetType: 'Patient', targetId: extra.targetId ?? null, targetVersion: extra.targetVersion ?? null, attempt: 1, at: Date.now(),
      },
    });

    // One consumer group per sink: a slow or down sink holds back no other.
    const consumer = await kafka.runConsumer({
      groupId: `sink-${config.id}`,
      topics: [TOPICS.entityState],
      stage: 'sink',
      metricsRegistry: ops.registry,
      handle: async (record) => {
        const state = record.value as EntityState | null;
        if (!state) return [];
        const known = await ledger.get(config.id, state.entityId);
        if (known && known.entityVersion >= state.version) return []; // already handled this version
        const g = gate(state, policy);
        if (!g.pass) {
          await ledger.record(config.id, state.entityId, { entityVersion: state.version, targetId: known?.targetId ?? null, targetVersion: known?.targetVersion ?? null, contentHash: known?.contentHash ?? null }, 'gated');
          return [result(state, 'gated', { reason: g.reason })];
        }
        const patient = toFhirPatient(state, g.fields);
        const hash = contentHash(patient);
        if (known?.contentHash === hash && known.targetId) {
          await ledger.record(config.id, state.entityId, { ...known, entityVersion: state.version }, 'unchanged');
          return [result(state, 'unchanged', { targetId: known.targetId, targetVersion: known.targetVersion })];
        }
        const written = await writePatient(config.fhirBaseUrl, patient, { targetId: known?.targetId ?? null, targetVersion: known?.targetVersion ?? null });
        await ledger.record(config.id, state.entityId, { entityVersion: state.version, targetId: written.targetId, targetVersion: written.targetVersion, contentHash: hash }, 'written');
        logger.info({ sinkId: config.id, entityId: state.entityId, version: state.version, targetId: written.targetId }, 'sink.written');
        return [result(state, 'written', written)];
      },
    });
    return { stop: () => consumer.stop() };
  },
});
