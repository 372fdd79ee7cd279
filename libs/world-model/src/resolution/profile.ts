import { sourceKey, type WorldEvent } from '../types.ts';
import { foldName, isoDate, nameTokens, normaliseEmail, phoneDigits, zip5 } from './normalise.ts';

/**
 * What resolution compares: the matching features of one source record,
 * normalised once. Stored per member so candidates need no re-parsing.
 */
export interface MatchRecord {
  entityType: string;
  /** `dataSourceId/resourceType/externalId`. */
  sourceKey: string;
  /** `dataSourceId/resourceType`: one source holds one record per real entity. */
  sourceSystem: string;
  /** FHIR id per source system: `system|resourceType/externalId`. */
  recordKey: string;
  /** `system|value` of every identifier (MRN, NPI, member id, ...). */
  ids: string[];
  /** First given name, folded; a single letter when only an initial is known. */
  first?: string;
  /** Further given names (middle names), folded. */
  middle?: string[];
  /** Family name, folded (hyphens and spaces removed). */
  last?: string;
  /** Family name tokens, for double-barrelled names. */
  lastTokens?: string[];
  dob?: string;
  /** Ten (or more) digits, no country code for North America. */
  phone?: string;
  email?: string;
  zip?: string;
  gender?: 'm' | 'f';
  npi?: string;
  specialty?: string;
  /** Name of a place or organisation, folded. */
  name?: string;
}

function attr(event: WorldEvent, name: string): unknown {
  const raw = event.attributes[name];
  if (raw === undefined) return undefined;
  try { return JSON.parse(raw) as unknown; } catch { return undefined; }
}

function str(v: unknown): string | undefined {
  if (Array.isArray(v)) return str(v[0]);
  return typeof v === 'string' && v.trim() ? v : typeof v === 'number' ? String(v) : undefined;
}

function strs(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap((x) => strs(x));
  const s = str(v);
  return s ? [s] : [];
}

/** The matching features of an event, from the world model's attribute names. */
export function matchRecord(event: WorldEvent): MatchRecord {
  const r: MatchRecord = {
    entityType: event.entityType,
    sourceKey: sourceKey(event.source),
    sourceSystem: `${event.source.dataSourceId}/${event.source.resourceType}`,
    recordKey: `${event.source.system}|${event.source.resourceType}/${event.source.externalId}`,
    ids: [...new Set(event.identifiers.map((i) => `${i.system}|${i.value}`))].sort(),
  };
  const givenTokens = strs(attr(event, 'name.given')).flatMap(nameTokens);
  const middle = strs(attr(event, 'name.middle')).flatMap(nameTokens);
  if (givenTokens[0]) r.first = givenTokens[0];
  if (givenTokens.length > 1 || middle.length) r.middle = [...givenTokens.slice(1), ...middle];
  const family = str(attr(event, 'name.family'));
  if (family) {
    const tokens = nameTokens(family);
    if (tokens.length) { r.last = tokens.join(''); if (tokens.length > 1) r.lastTokens = tokens; }
  }
  const dob = str(attr(event, 'birthDate'));
  if (dob && isoDate(dob)) r.dob = isoDate(dob)!;
  const phone = str(attr(event, 'phone'));
  if (phone && phoneDigits(phone).length >= 7) r.phone = phoneDigits(phone);
  const email = str(attr(event, 'email'));
  if (email && email.includes('@')) r.email = normaliseEmail(email);
  const zip = str(attr(event, 'address.postalCode'));
  if (zip && zip5(zip)) r.zip = zip5(zip);
  const gender = str(attr(event, 'gender'))?.toLowerCase();
  if (gender === 'male' || gender === 'm') r.gender = 'm';
  if (gender === 'female' || gender === 'f') r.gender = 'f';
  const npi = str(attr(event, 'npi')) ?? event.identifiers.find((i) => i.system.endsWith('us-npi'))?.value;
  if (npi && /^\d{10}$/.test(npi.replace(/\D/g, ''))) r.npi = npi.replace(/\D/g, '');
  const specialty = str(attr(event, 'specialty'));
  if (specialty && foldName(specialty)) r.specialty = foldName(specialty);
  const name = str(attr(event, 'name'));
  if (name && foldName(name)) r.name = foldName(name);
  return r;
}
