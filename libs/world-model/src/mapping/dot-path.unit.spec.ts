import { describe, expect, it } from 'vitest';
import { extractAll, extractFirst, parsePath, PathSyntaxError } from './dot-path.ts';

const patient = {
  name: [{ use: 'official', family: 'Smith', given: ['Jane', 'Ann'] }, { use: 'nickname', given: ['Janie'] }],
  telecom: [{ system: 'email', value: 'j@x.org' }, { system: 'phone', use: 'home', value: '555-1' }, { system: 'phone', use: 'mobile', value: '555-2' }],
  participant: [{ actor: { reference: 'Practitioner/9' } }, { actor: { reference: 'Patient/1' } }],
  class: [{ type: { coding: [{ code: 'plan' }] }, value: 'GOLD' }, { type: { coding: [{ code: 'group' }] }, value: 'G1' }],
};

describe('dot paths', () => {
  it('given nested lists, when filtering by value, then only the matching entries are read', () => {
    expect(extractAll(patient, 'telecom[system=phone].value')).toEqual(['555-1', '555-2']);
    expect(extractFirst(patient, 'telecom[system=phone][use=mobile].value')).toBe('555-2');
    expect(extractAll(patient, 'telecom[system=email|sms].value')).toEqual(['j@x.org']);
    expect(extractAll(patient, 'telecom[system!=email].use')).toEqual(['home', 'mobile']);
  });

  it('given a reference list, when filtering by prefix on a nested field, then only that kind is read', () => {
    expect(extractAll(patient, 'participant.actor[reference^=Patient/].reference')).toEqual(['Patient/1']);
    expect(extractAll(patient, 'class[type.coding.code=plan].value')).toEqual(['GOLD']);
  });

  it('given first or all, then a key on a list reads every entry and an index one', () => {
    expect(extractAll(patient, 'name.given')).toEqual(['Jane', 'Ann', 'Janie']);
    expect(extractAll(patient, 'name[0].given')).toEqual(['Jane', 'Ann']);
    expect(extractAll(patient, 'name[*].family')).toEqual(['Smith']);
    expect(extractAll(patient, 'missing.path')).toEqual([]);
    expect(extractAll(null, 'a.b')).toEqual([]);
  });

  it('refuses malformed paths with a reason', () => {
    expect(() => parsePath('name[use]')).toThrow(PathSyntaxError);
    expect(() => parsePath('name[0')).toThrow(/unexpected/);
    expect(() => parsePath(' ')).toThrow(/empty/);
  });
});
