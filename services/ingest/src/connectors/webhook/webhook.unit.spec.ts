import { describe, expect, it } from 'vitest';
import { sign, verify } from './signature.ts';
import { localReference, notificationFocus } from './subscription.ts';

const body = Buffer.from('{"a":1}');
const now = 1_800_000_000_000;

describe('webhook signature', () => {
  const base = { secret: 's', body, prefix: 'sha256=', toleranceSec: 300, nowMs: now };
  it('accepts a fresh, correctly signed delivery', () => {
    const ts = now / 1000 - 10;
    expect(verify({ ...base, signature: sign('s', ts, body), timestamp: String(ts) })).toEqual({ ok: true, timestamp: ts });
  });
  it('refuses a changed body, a wrong secret, a replay outside the window, and missing headers', () => {
    const ts = now / 1000;
    expect(verify({ ...base, body: Buffer.from('{"a":2}'), signature: sign('s', ts, body), timestamp: String(ts) })).toMatchObject({ reason: 'bad signature' });
    expect(verify({ ...base, signature: sign('other', ts, body), timestamp: String(ts) })).toMatchObject({ reason: 'bad signature' });
    expect(verify({ ...base, signature: sign('s', ts - 301, body), timestamp: String(ts - 301) })).toMatchObject({ reason: 'stale timestamp' });
    expect(verify({ ...base, signature: undefined, timestamp: String(ts) })).toMatchObject({ reason: 'missing signature' });
    expect(verify({ ...base, signature: 'x', timestamp: 'yesterday' })).toMatchObject({ reason: 'missing timestamp' });
  });
});

describe('FHIR Subscription notifications', () => {
  it('finds the focus of id-only and full-resource notifications, R4 backport and R5', () => {
    const backport = { resourceType: 'Bundle', type: 'history', entry: [
      { resource: { resourceType: 'Parameters', parameter: [{ name: 'notification-event', part: [{ name: 'focus', valueReference: { reference: 'http://ehr/fhir/Patient/1/_history/3' } }] }] } },
      { fullUrl: 'http://ehr/fhir/Patient/1' },
      { resource: { resourceType: 'Encounter', id: 'e1' } },
    ] };
    expect(notificationFocus(backport)).toEqual(['http://ehr/fhir/Patient/1', 'Encounter/e1']);
    const r5 = { resourceType: 'Bundle', type: 'subscription-notification', entry: [{ resource: { resourceType: 'SubscriptionStatus', notificationEvent: [{ focus: { reference: 'Patient/2' } }] } }] };
    expect(notificationFocus(r5)).toEqual(['Patient/2']);
    expect(notificationFocus({ resourceType: 'Patient' })).toEqual([]);
  });
  it('follows only references to the configured server', () => {
    expect(localReference('http://ehr/fhir/Patient/1', 'http://ehr/fhir')).toEqual({ type: 'Patient', id: '1' });
    expect(localReference('Patient/1', 'http://ehr/fhir')).toEqual({ type: 'Patient', id: '1' });
    expect(localReference('http://evil/fhir/Patient/1', 'http://ehr/fhir')).toBeUndefined();
  });
});
