import { describe, expect, it } from 'vitest';
import type { WorldEvent } from '../types.ts';
import { birthDates, comparePair, firstNames } from './compare.ts';
import { DEFAULT_DECIDE, decide, pairKey, type CandidateEntity, type Decision } from './decide.ts';
import { probeKeys, storedKeys } from './match-keys.ts';
import { matchRecord, type MatchRecord } from './profile.ts';
import { editDistance, jaroWinkler } from './similarity.ts';
import { soundex } from './normalise.ts';

let n = 0;
/** A Patient event as unification would emit it. */
function patient(source: string, attrs: Record<string, unknown>, ids: Array<[string, string]> = [], entityType = 'Patient'): WorldEvent {
  n++;
  return {
    eventId: `e${n}`, entityType, source: { dataSourceId: source, system: `sys-${source}`, resourceType: 'Patient', externalId: `x${n}` },
    attributes: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, JSON.stringify(v)])),
    identifiers: ids.map(([system, value]) => ({ system, value })),
    confidence: 1, origin: 'ehr_sync', observedAt: 1, recordedAt: 1, mappingVersion: 'm@1', causationId: 'r', category: null, deleted: false,
  };
}

const jane = { 'name.given': ['Jane'], 'name.family': 'Smith', birthDate: '1982-03-15', phone: '+15552013344', 'address.postalCode': '02139', gender: 'female' };

/** given existing entities (each a list of events), when a record arrives, then this decision. */
function given(...entities: WorldEvent[][]): { when: (e: WorldEvent, cannotLink?: Set<string>) => Decision } {
  const candidates: CandidateEntity[] = entities.map((events, i) => ({ entityId: `ent${i}`, createdSeq: i, members: events.map(matchRecord) }));
  return { when: (e, cannotLink = new Set()) => decide(matchRecord(e), candidates, { ...DEFAULT_DECIDE, cannotLink }) };
}

describe('similarity and normalisation', () => {
  it('scores names the usual way', () => {
    expect(jaroWinkler('martha', 'marhta')).toBeCloseTo(0.961, 3);
    expect(editDistance('smith', 'smtih')).toBe(1);
    expect(soundex('Robert')).toBe('R163');
    expect(soundex('Rupert')).toBe('R163');
    expect(soundex('Ashcraft')).toBe('A261');
  });

  it('tells nicknames, initials, typos and different names apart', () => {
    expect(firstNames('william', 'bill')).toBe('nickname');
    expect(firstNames('jon', 'jonathan')).toBe('nickname');
    expect(firstNames('j', 'john')).toBe('initial');
    expect(firstNames('jonathon', 'jonathn')).toBe('typo');
    expect(firstNames('emma', 'ella')).toBe('different'); // two real names: twins, not a typo
    expect(birthDates('1982-03-05', '1982-05-03')).toBe('swapped');
    expect(birthDates('1982-03-15', '1983-03-15')).toBe('typo');
    expect(birthDates('1982-03-15', '1990-07-01')).toBe('different');
  });
});

describe('match keys', () => {
  it('scopes keys by entity type, and probes swapped names and dates', () => {
    const r = matchRecord(patient('ehr', jane, [['urn:mrn', '42']]));
    expect(storedKeys(r)).toEqual(expect.arrayContaining(['Patient|id|urn:mrn|42', 'Patient|b.p7|2013344', 'Patient|b.ld|S530|1982-03-15']));
    const transposed = matchRecord(patient('crm', { ...jane, 'name.given': ['Smith'], 'name.family': 'Jane' }));
    expect(probeKeys(transposed)).toContain(storedKeys(r).find((k) => k.startsWith('Patient|b.fl|')));
    const early = matchRecord(patient('ehr', { ...jane, birthDate: '1982-03-05' }));
    const swappedDate = matchRecord(patient('crm', { ...jane, birthDate: '1982-05-03' }));
    expect(probeKeys(swappedDate)).toContain(storedKeys(early).find((k) => k.startsWith('Patient|b.ld|')));
    expect(storedKeys(matchRecord(patient('ehr', jane, [], 'Practitioner'))).every((k) => k.startsWith('Practitioner|'))).toBe(true);
  });

  it('gives every record a handful of keys, not one per other record', () => {
    const r = matchRecord(patient('ehr', { ...jane, email: 'jane@x.org' }, [['urn:mrn', '42']]));
    expect(storedKeys(r).length).toBeLessThanOrEqual(10);
    expect(probeKeys(r).length).toBeLessThanOrEqual(12);
  });
});

describe('tier 1: deterministic', () => {
  it('given an entity with an MRN, when a record with the same MRN arrives from another source, then it links on the identifier', () => {
    const d = given([patient('ehr', jane, [['urn:mrn', '42']])]).when(patient('crm', { 'name.family': 'Smyth' }, [['urn:mrn', '42']]));
    expect(d).toMatchObject({ kind: 'link', entityId: 'ent0', resolution: { tier: 1, rule: 'exact-identifier', score: 1 } });
    expect(d.resolution.features).toContain('id:urn:mrn');
  });

  it('given the same name and birth date, then it links on name + date of birth', () => {
    const d = given([patient('ehr', jane)]).when(patient('crm', { 'name.given': ['JANE'], 'name.family': 'smith', birthDate: '1982-03-15' }));
    expect(d).toMatchObject({ kind: 'link', resolution: { tier: 1, rule: 'name-dob' } });
  });

  it('given a shared household phone, when a twin arrives, then the phone alone does not link', () => {
    const twin = { ...jane, 'name.given': ['Ella'] };
    const d = given([patient('ehr', jane)]).when(patient('crm', twin));
    expect(d.kind).toBe('new');
  });

  it('given two records of one EHR with different MRNs, then they never link, however alike (a source\'s duplicates go to review)', () => {
    const d = given([patient('ehr', jane, [['urn:mrn', '42']])]).when(patient('ehr', jane, [['urn:mrn', '77']]));
    expect(d.kind).toBe('new');
  });

  it('given different MRNs of one system, then identical demographics do not link', () => {
    const d = given([patient('ehr', jane, [['urn:mrn', '42']])]).when(patient('crm', jane, [['urn:mrn', '43']]));
    expect(d.kind).toBe('new');
  });

  it('given a record that ties two entities by exact identifiers, then they merge into the older', () => {
    const a = [patient('ehr', jane, [['urn:mrn', '42']])];
    const b = [patient('crm', { ...jane, 'name.family': 'Smithe' }, [['urn:crm', 'c7']])];
    const d = given(a, b).when(patient('portal', { 'name.given': ['Jane'] }, [['urn:mrn', '42'], ['urn:crm', 'c7']]));
    expect(d).toMatchObject({ kind: 'merge', entityId: 'ent0', absorbed: ['ent1'] });
  });
});

describe('practitioners', () => {
  const osler = { 'name.given': ['William'], 'name.family': 'Osler', specialty: 'Internal medicine' };
  it('given the same NPI from two sources, then they link on it; given name and specialty, too', () => {
    expect(given([patient('ehr', { ...osler, npi: '1234567893' }, [], 'Practitioner')]).when(patient('crm', { 'name.family': 'Osler', npi: '1234567893' }, [], 'Practitioner')))
      .toMatchObject({ kind: 'link', resolution: { tier: 1, rule: 'exact-npi' } });
    expect(given([patient('ehr', osler, [], 'Practitioner')]).when(patient('crm', { ...osler, 'name.given': ['Bill'] }, [], 'Practitioner')))
      .toMatchObject({ kind: 'link', resolution: { tier: 1, rule: 'name-specialty' } });
  });

  it('given two NPIs, then the same name and specialty do not link', () => {
    const npi = (v: string): Array<[string, string]> => [['http://hl7.org/fhir/sid/us-npi', v]];
    expect(given([patient('ehr', osler, npi('1234567893'), 'Practitioner')]).when(patient('crm', osler, npi('1987654321'), 'Practitioner')).kind).toBe('new');
  });

  it('never links across entity types', () => {
    expect(given([patient('ehr', jane)]).when(patient('crm', jane, [], 'Practitioner')).kind).toBe('new');
  });
});

describe('tier 2: fuzzy, only when tier 1 finds nothing', () => {
  it('given "J. Smith" with a reformatted phone and the same birth date, then it links with its score and features', () => {
    const d = given([patient('ehr', jane)]).when(patient('crm', { 'name.given': ['J.'], 'name.family': 'Smith', birthDate: '1982-03-15', phone: '+15552013344' }));
    expect(d).toMatchObject({ kind: 'link', resolution: { tier: 2, rule: 'fuzzy' } });
    expect(d.resolution.score).toBeGreaterThanOrEqual(0.995);
    expect(d.resolution.features).toEqual(expect.arrayContaining(['first:initial', 'last:exact', 'dob:exact', 'phone:exact']));
  });

  it('given a nickname, a misspelt surname and day and month swapped, then it links', () => {
    const d = given([patient('ehr', { ...jane, 'name.given': ['Jonathan'], birthDate: '1982-03-05' })])
      .when(patient('crm', { 'name.given': ['Jon'], 'name.family': 'Smyth', birthDate: '1982-05-03', 'address.postalCode': '02139', phone: '+15552013344' }));
    expect(d).toMatchObject({ kind: 'link', resolution: { tier: 2 } });
    expect(d.resolution.features).toEqual(expect.arrayContaining(['first:nickname', 'last:typo', 'dob:swapped', 'zip:exact', 'phone:exact']));
    // The same without the phone is not enough evidence: it stays apart.
    expect(given([patient('ehr', { ...jane, 'name.given': ['Jonathan'], birthDate: '1982-03-05' })])
      .when(patient('crm', { 'name.given': ['Jon'], 'name.family': 'Smyth', birthDate: '1982-05-03', 'address.postalCode': '02139' })).kind).toBe('new');
  });

  it('given first and last name transposed, then it links', () => {
    const d = given([patient('ehr', jane)]).when(patient('crm', { ...jane, 'name.given': ['Smith'], 'name.family': 'Jane', phone: undefined }));
    expect(d.kind).toBe('link');
    expect(d.resolution.features).toContain('first:transposed');
  });

  it('given a parent and child sharing name, phone and zip, when the birth dates differ, then they stay apart', () => {
    const d = given([patient('ehr', { ...jane, birthDate: '1955-01-20' })]).when(patient('crm', { ...jane, 'name.family': 'Smyth' }));
    expect(d.kind).toBe('new');
  });

  it('given weak evidence only (initial and surname), then it does not link', () => {
    const d = given([patient('ehr', jane)]).when(patient('crm', { 'name.given': ['J'], 'name.family': 'Smith', 'address.postalCode': '02139' }));
    expect(d.kind).toBe('new');
  });

  it('given two twins already known, when "J. Smith" arrives, then it is ambiguous and links to neither', () => {
    const d = given([patient('ehr', { ...jane, 'name.given': ['Jane'] })], [patient('ehr2', { ...jane, 'name.given': ['Julia'] })])
      .when(patient('crm', { 'name.given': ['J'], 'name.family': 'Smith', birthDate: '1982-03-15', phone: '+15552013344' }));
    expect(d).toMatchObject({ kind: 'new', resolution: { features: ['ambiguous:2'] } });
  });
});

describe('operator unlinks', () => {
  it('given an operator said two records are different, then they never link again', () => {
    const ehr = patient('ehr', jane);
    const crm = patient('crm', jane);
    const d = given([ehr]).when(crm, new Set([pairKey(matchRecord(ehr).sourceKey, matchRecord(crm).sourceKey)]));
    expect(d.kind).toBe('new');
  });

  it('given a new version of a record already in an entity, then it stays there whatever changed', () => {
    const ehr = patient('ehr', jane);
    const update: WorldEvent = { ...ehr, eventId: 'later', attributes: { 'name.family': '"Jones"' } };
    const r: MatchRecord = matchRecord(update);
    expect(comparePair(r, matchRecord(ehr)).tier1).toEqual(['same-source-record']);
    expect(given([ehr]).when(update)).toMatchObject({ kind: 'link', resolution: { rule: 'same-source-record' } });
  });
});
