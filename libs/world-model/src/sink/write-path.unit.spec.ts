import { describe, expect, it } from 'vitest';
import { unwritablePath, withPaths } from './write-path.ts';

describe('writing by dot path', () => {
  it('given an empty record, when paths are written, then lists, filtered entries and keys are created', () => {
    const out = withPaths({ resourceType: 'Patient' }, [
      ['name[0].family', 'Lovelace'], ['name[0].given', ['Ada']], ['telecom[system=phone].value', '+15550100'],
      ['telecom[system=email].value', 'a@b.c'], ['birthDate', '1815-12-10'],
    ]);
    expect(out).toEqual({
      resourceType: 'Patient', name: [{ family: 'Lovelace', given: ['Ada'] }], birthDate: '1815-12-10',
      telecom: [{ system: 'phone', value: '+15550100' }, { system: 'email', value: 'a@b.c' }],
    });
  });

  it('given a record the target holds, when our paths are written, then its other data stays', () => {
    const current = { resourceType: 'Patient', id: '7', name: [{ family: 'Old', given: ['Ada'], use: 'official' }], telecom: [{ system: 'fax', value: '1' }, { system: 'phone', value: '2' }] };
    const out = withPaths(current, [['name[0].family', 'New'], ['telecom[system=phone].value', '3']]);
    expect(out).toEqual({ resourceType: 'Patient', id: '7', name: [{ family: 'New', given: ['Ada'], use: 'official' }], telecom: [{ system: 'fax', value: '1' }, { system: 'phone', value: '3' }] });
    expect(current.name[0]!.family).toBe('Old'); // input untouched
  });

  it('given a key path over a list, when written, then the first entry gets it instead of the list being replaced', () => {
    expect(withPaths({ name: [{ given: ['A'] }] }, [['name.family', 'B']])).toEqual({ name: [{ given: ['A'], family: 'B' }] });
  });

  it('given paths that select but cannot say what to create, when checked, then they are refused', () => {
    expect(unwritablePath('name[*].family')).toMatch(/\[\*\]/);
    expect(unwritablePath('telecom[system!=fax].value')).toMatch(/filters/);
    expect(unwritablePath('participant[actor.reference^=Patient/].actor')).toMatch(/filters/);
    expect(unwritablePath('extension[url=urn:x:carrier].valueCode')).toBeUndefined();
  });
});
