import { createHmac, timingSafeEqual } from 'node:crypto';

export type Verdict = { ok: true; timestamp: number } | { ok: false; reason: 'missing signature' | 'missing timestamp' | 'stale timestamp' | 'bad signature' };

/** `prefix + hex(HMAC-SHA256(secret, "<timestamp>.<raw body>"))`: what a sender puts in the signature header. */
export function sign(secret: string, timestamp: number, body: Buffer | string, prefix = 'sha256='): string {
  return prefix + createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/**
 * Checks a delivery: the timestamp (unix seconds) must be within `toleranceSec`
 * of now, so a captured request cannot be replayed later, and the signature
 * must match, compared in constant time.
 */
export function verify(o: { secret: string; body: Buffer; signature: string | undefined; timestamp: string | undefined; prefix: string; toleranceSec: number; nowMs: number }): Verdict {
  if (!o.signature) return { ok: false, reason: 'missing signature' };
  if (!o.timestamp || !/^\d{1,12}$/.test(o.timestamp)) return { ok: false, reason: 'missing timestamp' };
  const ts = Number(o.timestamp);
  if (Math.abs(o.nowMs / 1000 - ts) > o.toleranceSec) return { ok: false, reason: 'stale timestamp' };
  const expected = Buffer.from(sign(o.secret, ts, o.body, o.prefix));
  const given = Buffer.from(o.signature);
  // timingSafeEqual needs equal lengths; compare against itself to spend the same time either way.
  const same = given.length === expected.length ? timingSafeEqual(given, expected) : (timingSafeEqual(expected, expected), false);
  return same ? { ok: true, timestamp: ts } : { ok: false, reason: 'bad signature' };
}
