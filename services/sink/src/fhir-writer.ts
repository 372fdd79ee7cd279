import { ConflictError } from '@cr/core';
import { fhirRequest, type FhirResource } from '@cr/fhir';
import { ENTITY_IDENTIFIER_SYSTEM, type FhirPatient } from '@cr/world-model';

export interface WriteResult {
  targetId: string;
  targetVersion: string | null;
}

/**
 * Writes one Patient to a FHIR server without ever duplicating it:
 * - first time: a conditional create (If-None-Exist on our entity identifier), so
 *   a retried or re-delivered create finds the resource instead of adding one;
 * - afterwards: an update with If-Match on the version last written; a 412 means
 *   someone else changed it, so read the current version and try once more.
 */
export async function writePatient(baseUrl: string, patient: FhirPatient, known: { targetId: string | null; targetVersion: string | null }): Promise<WriteResult> {
  const base = baseUrl.replace(/\/$/, '');
  let targetId = known.targetId;
  let version = known.targetVersion;
  if (!targetId) {
    const entity = patient.identifier.find((i) => i.system === ENTITY_IDENTIFIER_SYSTEM)!;
    const created = await fhirRequest<FhirResource>('POST', `${base}/Patient`, patient, {
      headers: { 'if-none-exist': `identifier=${encodeURIComponent(`${ENTITY_IDENTIFIER_SYSTEM}|${entity.value}`)}` },
    });
    targetId = created.body.id!;
    version = created.body.meta?.versionId ?? null;
    if (created.status === 201) return { targetId, targetVersion: version };
  }
  for (let attempt = 0; ; attempt++) {
    try {
      const updated = await fhirRequest<FhirResource>('PUT', `${base}/Patient/${targetId}`, { ...patient, id: targetId }, {
        headers: version ? { 'if-match': `W/"${version}"` } : {},
      });
      return { targetId, targetVersion: updated.body.meta?.versionId ?? null };
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt > 0) throw error;
      const current = await fhirRequest<FhirResource>('GET', `${base}/Patient/${targetId}`);
      version = current.body.meta?.versionId ?? null;
    }
  }
}
