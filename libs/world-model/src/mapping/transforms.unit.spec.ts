import { describe, expect, it } from 'vitest';
import { applyTransform, normaliseDate, titleCase, toE164, toReference } from './transforms.ts';

describe('transforms', () => {
  it('normalises dates from the spellings sources use', () => {
    expect(normaliseDate('1982-03-15')).toBe('1982-03-15');
    expect(normaliseDate('1982-03-15T10:00:00Z')).toBe('1982-03-15');
    expect(normaliseDate('3/15/1982')).toBe('1982-03-15');
    expect(normaliseDate('03-15-82')).toBe('1982-03-15');
    expect(normaliseDate('15.03.1982', 'dmy')).toBe('1982-03-15');
    expect(normaliseDate('19820315')).toBe('1982-03-15');
    expect(normaliseDate('13/15/1982')).toBe('13/15/1982'); // impossible month: left as it was, not invented
    expect(normaliseDate('soon')).toBe('soon');
  });

  it('writes phones as E.164 whatever the format', () => {
    for (const p of ['(555) 201-3344', '555.201.3344', '1-555-201-3344', '+1 555 201 3344', '5552013344 x12']) expect(toE164(p)).toBe('+15552013344');
    expect(toE164('+44 20 7946 0958')).toBe('+442079460958');
    expect(toE164('0044 20 7946 0958')).toBe('+442079460958');
  });

  it('cases, trims and converts', () => {
    expect(titleCase("  mcdonald-SMITH o'neil ")).toBe("Mcdonald-Smith O'Neil");
    expect(applyTransform('collapse', ' a   b ')).toBe('a b');
    expect(applyTransform('zip5', '02139-4301')).toBe('02139');
    expect(applyTransform('number', '1,250.5')).toBe(1250.5);
    expect(applyTransform('boolean', 'Yes')).toBe(true);
    expect(applyTransform('datetime', '2024-05-01T09:30:00-04:00')).toBe('2024-05-01T13:30:00.000Z');
    expect(toReference('http://ehr/fhir/R4/Patient/123/_history/2')).toBe('Patient/123');
    expect(applyTransform('lower', 42)).toBe(42); // odd input passes through
  });
});
