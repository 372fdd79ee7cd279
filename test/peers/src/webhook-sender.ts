import { createHmac } from 'node:crypto';

export interface WebhookDelivery {
  status: number;
  body: Record<string, unknown>;
}

/**
 * A webhook sender as real senders do it: HMAC-SHA256 over `<timestamp>.<body>`
 * in `x-signature` (`sha256=<hex>`) and the unix timestamp in
 * `x-signature-timestamp`. `timestamp` and `signature` can be forced to test
 * replays and forgeries.
 */
export async function sendWebhook(url: string, secret: string, body: string | object, o: { timestamp?: number; signature?: string; headers?: Record<string, string> } = {}): Promise<WebhookDelivery> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const timestamp = o.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = o.signature ?? `sha256=${createHmac('sha256', secret).update(`${timestamp}.${text}`).digest('hex')}`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-signature': signature, 'x-signature-timestamp': String(timestamp), ...o.headers },
    body: text,
  });
  const raw = await res.text();
  let parsed: Record<string, unknown> = {};
  try { parsed = JSON.parse(raw) as Record<string, unknown>; } catch { parsed = { raw }; }
  return { status: res.status, body: parsed };
}

/** A FHIR Subscription notification (R4 backport: history Bundle, Parameters status first). */
export function subscriptionNotification(o: { subscription: string; eventNumber: number; focus: { fullUrl: string; resource?: Record<string, unknown> }[] }): Record<string, unknown> {
  return {
    resourceType: 'Bundle',
    type: 'history',
    timestamp: new Date().toISOString(),
    entry: [
      {
        fullUrl: `urn:uuid:status-${o.eventNumber}`,
        resource: {
          resourceType: 'Parameters',
          parameter: [
            { name: 'subscription', valueReference: { reference: o.subscription } },
            { name: 'status', valueCode: 'active' },
            { name: 'type', valueCode: 'event-notification' },
            { name: 'events-since-subscription-start', valueString: String(o.eventNumber) },
            ...o.focus.map((f, i) => ({ name: 'notification-event', part: [{ name: 'event-number', valueString: String(o.eventNumber + i) }, { name: 'focus', valueReference: { reference: f.fullUrl } }] })),
          ],
        },
      },
      ...o.focus.map((f) => ({ fullUrl: f.fullUrl, ...(f.resource ? { resource: f.resource } : {}), request: { method: 'PUT', url: f.fullUrl }, response: { status: '200' } })),
    ],
  };
}
