import { isFhirSink, type SinkConfig } from '@cr/world-model';
import { targetAuth } from './auth.ts';
import { createFhirTarget } from './fhir-target.ts';
import { createHttpTarget } from './http-target.ts';
import type { Target } from './target.ts';

export type { Doc, RecordKey, Target, TargetRecord } from './target.ts';
export { TargetError, RecordGone, isConflict } from './target-error.ts';

/** The target a sink's configuration names, authenticated. */
export async function createTarget(config: SinkConfig): Promise<Target> {
  const auth = await targetAuth(config.target.auth, config.target.baseUrl, config.target.timeoutMs);
  if (isFhirSink(config.type)) return createFhirTarget({ baseUrl: config.target.baseUrl, timeoutMs: config.target.timeoutMs, ...(auth ? { auth } : {}) });
  return createHttpTarget({ type: config.type as 'crm' | 'rest', target: config.target, ...(auth ? { auth } : {}) });
}
