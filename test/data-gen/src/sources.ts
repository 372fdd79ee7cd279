import { dateTypo, nickname, swapDayMonth, typo, type CorruptionRates } from './corrupt.ts';
import type { Person } from './people.ts';
import type { Rng } from './random.ts';

/** One record as a source holds it, with the person it really describes. */
export interface SourceRecord {
  dataSourceId: string;
  sourceType: 'fhir_store' | 'file_drop';
  /** The source system's base URL or name. */
  system: string;
  resourceType: string;
  externalId: string;
  /** The record as the source returns it: a FHIR resource, or a CSV row (column -> string). */
  payload: Record<string, unknown>;
  personId: string;
}

/** What one source record says about a person, after corruption. */
interface View {
  first: string;
  middle: string | undefined;
  last: string;
  gender: string | undefined;
  dob: string | undefined;
  phone: string | undefined;
  email: string | undefined;
  street: string;
  city: string;
  state: string;
  zip: string | undefined;
}

export function corruptedView(rng: Rng, p: Person, rates: CorruptionRates): View {
  let first = p.first;
  const nick = rng.chance(rates.nickname) ? nickname(rng, first) : undefined;
  if (nick) first = nick;
  else if (rng.chance(rates.initial)) first = `${first[0]}.`;
  else if (rng.chance(rates.firstTypo)) first = typo(rng, first);
  let last = rng.chance(rates.lastTypo) ? typo(rng, p.last) : p.last;
  if (rng.chance(rates.transposed)) [first, last] = [last, first];
  let dob: string | undefined = p.dob;
  if (rng.chance(rates.dobMissing)) dob = undefined;
  else if (rng.chance(rates.dobSwapped)) dob = swapDayMonth(p.dob) ?? p.dob;
  else if (rng.chance(rates.dobTypo)) dob = dateTypo(rng, p.dob);
  let phone: string | undefined = p.phone;
  if (rng.chance(rates.phoneMissing)) phone = undefined;
  else if (rng.chance(rates.phoneChanged)) phone = `${p.phone.slice(0, 3)}${rng.int(2, 9)}${String(rng.int(0, 999999)).padStart(6, '0')}`;
  return {
    first, last, dob, phone,
    middle: p.middle && rng.chance(0.5) ? p.middle : undefined,
    gender: rng.chance(rates.genderMissing) ? undefined : p.gender,
    email: p.email && !rng.chance(rates.emailMissing) ? (rng.chance(0.2) ? p.email.toUpperCase() : p.email) : undefined,
    street: p.street, city: p.city, state: p.state,
    zip: rng.chance(rates.zipMissing) ? undefined : rng.chance(0.1) ? `${p.zip}-${String(rng.int(0, 9999)).padStart(4, '0')}` : p.zip,
  };
}

/** Phone as people and clerks write it. */
function formatPhone(rng: Rng, d: string): string {
  const [a, b, c] = [d.slice(0, 3), d.slice(3, 6), d.slice(6)];
  return rng.pick([`(${a}) ${b}-${c}`, `${a}-${b}-${c}`, `${a}.${b}.${c}`, `${a}${b}${c}`, `+1 ${a} ${b} ${c}`, `1-${a}-${b}-${c}`]);
}

export interface FhirSource { id: string; system: string; mrnSystem: string; upperCaseNames?: boolean }

export function fhirPatient(rng: Rng, source: FhirSource, externalId: string, mrn: string, v: View): Record<string, unknown> {
  const name = (s: string): string => (source.upperCaseNames ? s.toUpperCase() : s);
  const telecom: Record<string, unknown>[] = [];
  if (v.phone) telecom.push({ system: 'phone', use: rng.pick(['home', 'mobile']), value: formatPhone(rng, v.phone) });
  if (v.email) telecom.push({ system: 'email', value: v.email });
  return {
    resourceType: 'Patient', id: externalId,
    identifier: [{ system: source.mrnSystem, value: mrn }],
    name: [{ use: 'official', family: name(v.last), given: [name(v.first), ...(v.middle ? [name(v.middle)] : [])] }],
    ...(v.gender ? { gender: v.gender } : {}),
    ...(v.dob ? { birthDate: v.dob } : {}),
    ...(telecom.length ? { telecom } : {}),
    address: [{ use: 'home', line: [v.street], city: v.city, state: v.state, ...(v.zip ? { postalCode: v.zip } : {}) }],
  };
}

/** A CRM export row: its own column names, US dates, M/F. Missing values are empty strings, as in a CSV. */
export function crmRow(rng: Rng, externalId: string, v: View): Record<string, string> {
  const us = (iso: string): string => { const [y, m, d] = iso.split('-'); return rng.chance(0.5) ? `${m}/${d}/${y}` : `${Number(m)}/${Number(d)}/${y}`; };
  return {
    patient_id: externalId,
    first_name: v.first,
    middle_name: v.middle ?? '',
    last_name: rng.chance(0.3) ? v.last.toUpperCase() : v.last,
    dob: v.dob ? us(v.dob) : '',
    sex: v.gender === 'male' ? 'M' : v.gender === 'female' ? 'F' : '',
    phone: v.phone ? formatPhone(rng, v.phone) : '',
    email: v.email ?? '',
    street: v.street,
    city: v.city,
    state: v.state,
    zip: v.zip ?? '',
  };
}
