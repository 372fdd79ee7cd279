/**
 * The resources a FHIR Subscription notification is about. Handles the R4
 * Subscriptions Backport (a `history` Bundle whose first entry is a Parameters
 * status) and R4B/R5 (`subscription-notification` with a SubscriptionStatus),
 * in both payload modes: id-only (entries with only a fullUrl) and
 * full-resource (entries with the resource). Either way the runner reads the
 * current resource itself, so what it stores never depends on the payload mode.
 */
export function notificationFocus(bundle: unknown): string[] {
  const refs = new Set<string>();
  if (!bundle || typeof bundle !== 'object') return [];
  const b = bundle as { resourceType?: unknown; entry?: { fullUrl?: unknown; resource?: Record<string, unknown> }[] };
  if (b.resourceType !== 'Bundle') return [];
  for (const entry of b.entry ?? []) {
    const r = entry.resource;
    const type = r?.resourceType;
    if (type === 'Parameters') {
      for (const p of (r!.parameter as { name?: string; part?: { name?: string; valueReference?: { reference?: string } }[] }[] | undefined) ?? []) {
        if (p.name !== 'notification-event') continue;
        for (const part of p.part ?? []) if (part.name === 'focus' && part.valueReference?.reference) refs.add(part.valueReference.reference);
      }
      continue;
    }
    if (type === 'SubscriptionStatus') {
      for (const e of (r!.notificationEvent as { focus?: { reference?: string } }[] | undefined) ?? []) if (e.focus?.reference) refs.add(e.focus.reference);
      continue;
    }
    if (r && typeof type === 'string' && typeof r.id === 'string') refs.add(`${type}/${r.id}`);
    else if (typeof entry.fullUrl === 'string') refs.add(entry.fullUrl);
  }
  return [...new Set([...refs].map((ref) => ref.replace(/\/_history\/[^/]+$/, '')))];
}

/** `Type/id` of a reference if it is relative or under `baseUrl`; undefined for any other server. */
export function localReference(ref: string, baseUrl: string): { type: string; id: string } | undefined {
  const base = baseUrl.replace(/\/$/, '');
  const rel = ref.startsWith(`${base}/`) ? ref.slice(base.length + 1) : /^[a-z]+:/i.test(ref) ? undefined : ref;
  const m = rel ? /^([A-Z][A-Za-z]+)\/([A-Za-z0-9.-]{1,64})$/.exec(rel) : null;
  return m ? { type: m[1]!, id: m[2]! } : undefined;
}
