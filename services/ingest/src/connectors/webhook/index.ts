import { PayloadError, contentHash, describeError, isRetriable } from '@cr/core';
import { smartBackendAuth, type FhirResource } from '@cr/fhir';
import { extractAll, type WebhookConfig } from '@cr/world-model';
import { Counter } from 'prom-client';
import type { ConnectorContext, ConnectorFactory } from '../../connector.ts';
import type { Candidate } from '../../records/emitter.ts';
import type { WebhookRequest, WebhookResponse } from '../../http/webhook-server.ts';
import { INGEST_METRICS } from '../../metrics.ts';
import { createFhirReader, fhirCandidate, type FhirReader } from '../fhir-store/fhir-reader.ts';
import { verify } from './signature.ts';
import { secretAt } from '../../secrets.ts';
import { localReference, notificationFocus } from './subscription.ts';

/**
 * An HTTP receiver: HMAC signature and timestamp checked first; then the record
 * (or, for FHIR Subscription notifications, every focus resource read fresh
 * from the server) goes through the shared emitter, and the sender gets a 2xx
 * only once Kafka has acknowledged it. A sender's retry hashes the same and
 * emits nothing new. Bodies that can never be processed are dead-lettered and
 * answered 4xx; failures worth retrying are answered 503.
 */
export const webhookConnector: ConnectorFactory<'webhook'> = async (ctx) => {
  const { config } = ctx.source;
  const secret = await secretAt(ctx.secrets, 'config.signature.secretRef', config.signature.secretRef);
  let reader: FhirReader | undefined;
  if (config.fhir) {
    const auth = config.fhir.auth ? smartBackendAuth({
      fhirBaseUrl: config.fhir.baseUrl, clientId: config.fhir.auth.clientId, privateKeyPem: await secretAt(ctx.secrets, 'config.fhir.auth.privateKeyRef', config.fhir.auth.privateKeyRef),
      keyId: config.fhir.auth.keyId, algorithm: config.fhir.auth.algorithm, scopes: config.fhir.auth.scopes, renewBeforeMs: config.fhir.auth.renewBeforeMs,
      ...(config.fhir.auth.tokenEndpoint ? { tokenEndpoint: config.fhir.auth.tokenEndpoint } : {}),
    }) : undefined;
    reader = createFhirReader({ baseUrl: config.fhir.baseUrl, guard: ctx.guard, timeoutMs: config.fhir.timeoutMs, auth });
  }
  const deliveries = (ctx.registry.getSingleMetric(INGEST_METRICS.webhookDeliveries) as Counter<'outcome'> | undefined)
    ?? new Counter({ name: INGEST_METRICS.webhookDeliveries, help: 'Webhook deliveries by outcome', labelNames: ['outcome'], registers: [ctx.registry] });

  const handle = async (req: WebhookRequest): Promise<WebhookResponse> => {
    const header = (name: string): string | undefined => { const v = req.headers[name.toLowerCase()]; return Array.isArray(v) ? v[0] : v; };
    const verdict = verify({ secret, body: req.body, signature: header(config.signature.header), timestamp: header(config.signature.timestampHeader), prefix: config.signature.prefix, toleranceSec: config.signature.toleranceSec, nowMs: ctx.now() });
    if (!verdict.ok) {
      deliveries.inc({ outcome: 'refused' });
      ctx.logger.warn({ reason: verdict.reason, bodyHash: contentHash(req.body.toString('base64')).slice(0, 12) }, 'ingest.webhook.refused');
      return { status: 401, body: { error: verdict.reason } };
    }
    const startedAt = ctx.now();
    const deadLetter = async (error: PayloadError, extra: Record<string, string> = {}) => {
      await ctx.deadLetters.write([{ key: `${ctx.source.id}/webhook/${verdict.timestamp}`, value: req.body, error, context: { 'dlq.source.webhook': ctx.source.id, ...extra } }]);
    };
    let body: unknown;
    try { body = JSON.parse(req.body.toString('utf8')); } catch {
      await deadLetter(new PayloadError('webhook body is not JSON'));
      deliveries.inc({ outcome: 'dead_letter' });
      return { status: 400, body: { error: 'body is not JSON' } };
    }
    try {
      const { candidates, unresolved } = config.kind === 'json' ? jsonCandidates(body, config) : await subscriptionCandidates(body, reader!);
      if (!candidates.length && !unresolved.length) {
        await deadLetter(new PayloadError(config.kind === 'json' ? `no ${config.json!.idField} in the body` : 'no focus resource in the notification'));
        deliveries.inc({ outcome: 'dead_letter' });
        return { status: 400, body: { error: 'nothing to ingest in this delivery' } };
      }
      const { emitted } = await ctx.emitter.emit(candidates);
      for (const u of unresolved) await deadLetter(new PayloadError(`focus ${u.reason}`), { 'dlq.source.reference': u.type });
      await ctx.health.report({ resourceType: 'webhook', startedAt, durationMs: ctx.now() - startedAt, fetched: candidates.length, emitted, cycle: 'delivery' });
      deliveries.inc({ outcome: emitted ? 'accepted' : 'duplicate' });
      return { status: 200, body: { received: candidates.length, new: emitted } };
    } catch (error) {
      await ctx.health.report({ resourceType: 'webhook', startedAt, durationMs: ctx.now() - startedAt, fetched: 0, emitted: 0, cycle: 'delivery', error });
      if (isRetriable(error) || !(error instanceof PayloadError)) {
        deliveries.inc({ outcome: 'retry_later' });
        ctx.logger.warn({ ...describeError(error) }, 'ingest.webhook.retry_later');
        return { status: 503, body: { error: 'not accepted, retry later' } };
      }
      await deadLetter(error);
      deliveries.inc({ outcome: 'dead_letter' });
      return { status: 400, body: { error: 'refused' } };
    }
  };
  return {
    async start() { ctx.webhooks.register(ctx.source.id, handle); },
    async stop() { ctx.webhooks.unregister(ctx.source.id); },
  };
};

type Found = { candidates: Candidate[]; unresolved: { type: string; reason: string }[] };

function jsonCandidates(body: unknown, config: WebhookConfig): Found {
  const items = Array.isArray(body) ? body : [body];
  const candidates: Candidate[] = [];
  for (const item of items) {
    const id = extractAll(item, config.json!.idField)[0];
    if (typeof id !== 'string' && typeof id !== 'number') throw new PayloadError(`webhook record without ${config.json!.idField}`);
    candidates.push({ resourceType: config.json!.resourceType, externalId: String(id), payload: item });
  }
  return { candidates, unresolved: [] };
}

async function subscriptionCandidates(body: unknown, reader: FhirReader): Promise<Found> {
  const found: Found = { candidates: [], unresolved: [] };
  const seen = new Set<string>();
  for (const ref of notificationFocus(body)) {
    const local = localReference(ref, reader.baseUrl);
    if (!local) { found.unresolved.push({ type: 'unknown', reason: 'points outside the configured FHIR server' }); continue; }
    // The status part and the entry name the same resource, one absolute, one relative.
    if (seen.has(`${local.type}/${local.id}`)) continue;
    seen.add(`${local.type}/${local.id}`);
    try {
      const resource = await reader.get<FhirResource>(`${reader.baseUrl}/${local.type}/${local.id}`);
      if (resource?.resourceType !== local.type || typeof resource.id !== 'string') throw new PayloadError(`read of ${local.type} returned something else`);
      found.candidates.push(fhirCandidate(resource as FhirResource & { id: string }));
    } catch (error) {
      if (isRetriable(error) || !(error instanceof PayloadError)) throw error;
      found.unresolved.push({ type: local.type, reason: `could not be read: ${describeError(error).message}` });
    }
  }
  return found;
}

export type { ConnectorContext };
