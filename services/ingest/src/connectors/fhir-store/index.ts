import type { SmartBackendAuth } from '@cr/fhir';
import type { FhirStoreConfig } from '@cr/world-model';
import type { Connector, ConnectorContext, ConnectorFactory } from '../../connector.ts';
import { startTaskLoops, taskLoopOptions, type PollTask, type TaskLoops } from '../../schedule/task-loop.ts';
import { createFhirReader } from './fhir-reader.ts';
import { createReferenceCache } from './reference-cache.ts';
import { searchCycle } from './search-cycle.ts';

/** Polls a FHIR R4 store: one loop per resource type on its own cadence. Shared by smart_fhir. */
export function fhirPollConnector(ctx: ConnectorContext, config: FhirStoreConfig, auth?: SmartBackendAuth): Connector {
  const reader = createFhirReader({ baseUrl: config.baseUrl, guard: ctx.guard, timeoutMs: config.timeoutMs, auth });
  const references = createReferenceCache({ reader, types: config.referenceData.types, ttlMs: config.referenceData.ttlMs, maxEntries: config.referenceData.maxEntries, logger: ctx.logger, now: ctx.now });
  let loops: TaskLoops | undefined;
  const tasks: PollTask[] = config.resources.map((resource) => ({
    resourceType: resource.type,
    intervalMs: resource.intervalMs,
    run: (signal) => searchCycle({ dataSourceId: ctx.source.id, resource, reader, emitter: ctx.emitter, store: ctx.store, references, now: ctx.now, signal }),
  }));
  return {
    async start() { loops = startTaskLoops(tasks, taskLoopOptions(ctx, config.businessHours)); },
    async stop() { await loops?.stop(); },
  };
}

export const fhirStoreConnector: ConnectorFactory<'fhir_store'> = async (ctx) => fhirPollConnector(ctx, ctx.source.config);
