import { soundex, swapDayMonth } from './normalise.ts';
import type { MatchRecord } from './profile.ts';

/**
 * Index keys of a record: how candidates are found, scoped by entity type so a
 * Patient never meets a Practitioner. A shared key only makes two records
 * candidates; whether they are one entity is decided by comparing them
 * (`comparePair`). One index serves both tiers:
 *  - exact keys: FHIR id per source system, identifier system + value (MRN, NPI,
 *    member id), email, place name + zip;
 *  - blocking keys (`b.*`): partial phone (last seven digits, which also finds
 *    every exact E.164 match), sound-alike surname + date of birth (which also
 *    finds every exact name + date of birth), surname + zip + sound-alike first name,
 *    sound-alike first name + surname + birth year, date of birth + zip.
 * Each key was kept for the matches only it finds on the generated data (and a
 * key found redundant, sound-alike first name + date of birth, was dropped).
 * Each record gets a handful of keys and each key a handful of records, so the
 * cost per record stays flat as the entities grow (no all-pairs comparison).
 */
export function storedKeys(r: MatchRecord): string[] {
  return [...new Set(keysOf(r))];
}

/**
 * Keys to look up for a new record: its stored keys plus variants that catch
 * known corruptions (first and last name swapped, day and month swapped).
 */
export function probeKeys(r: MatchRecord): string[] {
  const keys = keysOf(r);
  const t = r.entityType;
  if (r.first && r.last && r.first.length > 1) keys.push(`${t}|b.fl|${soundex(r.last)}|${soundex(r.first)}|${r.dob?.slice(0, 4) ?? ''}`);
  const swapped = r.dob ? swapDayMonth(r.dob) : undefined;
  if (swapped && r.last) keys.push(`${t}|b.ld|${soundex(r.last)}|${swapped}`);
  return [...new Set(keys)];
}

function keysOf(r: MatchRecord): string[] {
  const t = r.entityType;
  const keys = [`${t}|rec|${r.recordKey}`];
  for (const id of r.ids) keys.push(`${t}|id|${id}`);
  if (r.npi) keys.push(`${t}|npi|${r.npi}`);
  if (t === 'Patient' || t === 'Practitioner') {
    const sf = r.first ? soundex(r.first) : '';
    const sl = r.last ? soundex(r.last) : '';
    if (r.phone) keys.push(`${t}|b.p7|${r.phone.slice(-7)}`);
    if (r.email) keys.push(`${t}|em|${r.email}`);
    if (sl && r.dob) keys.push(`${t}|b.ld|${sl}|${r.dob}`);
    if (r.last && r.zip && sf) keys.push(`${t}|b.lz|${r.last.slice(0, 4)}|${r.zip}|${sf}`);
    if (sf && sl) keys.push(`${t}|b.fl|${sf}|${sl}|${r.dob?.slice(0, 4) ?? ''}`);
    if (r.dob && r.zip) keys.push(`${t}|b.dz|${r.dob}|${r.zip}`);
  }
  if (r.name && r.zip) keys.push(`${t}|ln|${r.name}|${r.zip}`);
  return keys;
}
