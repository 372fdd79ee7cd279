/** Small value transforms used by mapping rules. Pure; they never throw on odd input. */
export const TRANSFORM_NAMES = [
  'trim', 'lower', 'upper', 'title', 'collapse',
  'date', 'date-dmy', 'datetime',
  'e164', 'email', 'digits', 'zip5',
  'number', 'boolean', 'reference', 'string',
] as const;

export type TransformName = (typeof TRANSFORM_NAMES)[number];

export function applyTransform(name: TransformName, value: unknown): unknown {
  if (name === 'string') return value === null || value === undefined || typeof value === 'object' ? value : String(value);
  if (name === 'number') return toNumber(value);
  if (name === 'boolean') return toBoolean(value);
  if (typeof value !== 'string') return value;
  switch (name) {
    case 'trim': return value.trim();
    case 'collapse': return value.replace(/\s+/g, ' ').trim();
    case 'lower': return value.trim().toLowerCase();
    case 'upper': return value.trim().toUpperCase();
    case 'title': return titleCase(value);
    case 'email': return value.trim().toLowerCase();
    case 'date': return normaliseDate(value, 'mdy');
    case 'date-dmy': return normaliseDate(value, 'dmy');
    case 'datetime': return normaliseDateTime(value);
    case 'e164': return toE164(value);
    case 'digits': return value.replace(/\D/g, '');
    case 'zip5': return value.replace(/\D/g, '').slice(0, 5);
    case 'reference': return toReference(value);
  }
}

/** "mcDONALD-smith o'neil" -> "Mcdonald-Smith O'Neil": each word and hyphen/apostrophe part capitalised. */
export function titleCase(value: string): string {
  return value.trim().replace(/\s+/g, ' ').toLowerCase().replace(/(^|[\s\-'])(\p{L})/gu, (_, sep: string, c: string) => sep + c.toUpperCase());
}

const pad = (s: string): string => s.padStart(2, '0');

function validDate(y: string, m: string, d: string): string | undefined {
  const yy = Number(y);
  const mm = Number(m);
  const dd = Number(d);
  if (!(yy >= 1000 && mm >= 1 && mm <= 12 && dd >= 1 && dd <= 31)) return undefined;
  return `${y}-${pad(m)}-${pad(d)}`;
}

/**
 * YYYY-MM-DD from common date spellings: ISO dates and date-times, YYYYMMDD,
 * YYYY/MM/DD, and slashed, dashed or dotted day/month/year in the order given
 * (`mdy`, the US default, or `dmy`). Two-digit years are 19xx above 30, else 20xx.
 * Unknown shapes pass through trimmed, so nothing is silently invented.
 */
export function normaliseDate(value: string, order: 'mdy' | 'dmy' = 'mdy'): string {
  const v = value.trim();
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:$|[T\s])/.exec(v) ?? /^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$/.exec(v);
  if (m) return validDate(m[1]!, m[2]!, m[3]!) ?? v;
  m = /^(\d{4})(\d{2})(\d{2})$/.exec(v);
  if (m) return validDate(m[1]!, m[2]!, m[3]!) ?? v;
  m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})$/.exec(v);
  if (m) {
    const year = m[3]!.length === 2 ? `${Number(m[3]) > 30 ? '19' : '20'}${m[3]}` : m[3]!;
    const [month, day] = order === 'mdy' ? [m[1]!, m[2]!] : [m[2]!, m[1]!];
    return validDate(year, month, day) ?? v;
  }
  return v;
}

/** ISO 8601 in UTC from a date-time with an offset; a date alone stays a date. */
export function normaliseDateTime(value: string): string {
  const v = value.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return v;
  if (!/^\d{4}-\d{2}-\d{2}[T\s]\d{2}:\d{2}/.test(v)) return normaliseDate(v);
  const t = Date.parse(v.replace(' ', 'T'));
  return Number.isNaN(t) ? v : new Date(t).toISOString();
}

/** E.164 for North American numbers and numbers already given with a country code. */
export function toE164(value: string, defaultCountry = '1'): string {
  const trimmed = value.trim();
  const plus = trimmed.startsWith('+') || trimmed.startsWith('00');
  // Extensions ("x123", "ext. 4") are not part of the number.
  const main = trimmed.split(/\s*(?:x|ext\.?|extension)\s*\d+$/i)[0] ?? trimmed;
  let digits = main.replace(/\D/g, '');
  if (trimmed.startsWith('00')) digits = digits.slice(2);
  if (plus) return digits ? `+${digits}` : value;
  if (digits.length === 10) return `+${defaultCountry}${digits}`;
  if (digits.length === 11 && digits.startsWith(defaultCountry)) return `+${digits}`;
  return digits ? `+${digits}` : value;
}

/** `Patient/123` from a relative or absolute FHIR reference (history suffix dropped). */
export function toReference(value: string): string {
  const v = value.trim().replace(/\/_history\/[^/]+$/, '');
  const m = /([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64})$/.exec(v);
  return m ? m[1]! : v;
}

function toNumber(value: unknown): unknown {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string' || !value.trim()) return value;
  const n = Number(value.trim().replace(/,/g, ''));
  return Number.isFinite(n) ? n : value;
}

function toBoolean(value: unknown): unknown {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', 'yes', 'y', '1', 't'].includes(v)) return true;
  if (['false', 'no', 'n', '0', 'f'].includes(v)) return false;
  return value;
}
