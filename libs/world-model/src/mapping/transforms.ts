/** Small value transforms used by mapping rules. Pure; they never throw on odd input. */
export type TransformName = 'trim' | 'lower' | 'upper' | 'date' | 'e164' | 'email';

export function applyTransform(name: TransformName, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  switch (name) {
    case 'trim': return value.trim();
    case 'lower': return value.trim().toLowerCase();
    case 'upper': return value.trim().toUpperCase();
    case 'email': return value.trim().toLowerCase();
    case 'date': return normaliseDate(value);
    case 'e164': return toE164(value);
  }
}

/** YYYY-MM-DD from common date spellings; unknown shapes pass through trimmed. */
export function normaliseDate(value: string): string {
  const v = value.trim();
  const iso = /^(\d{4})-(\d{2})-(\d{2})/.exec(v);
  if (iso) return `${iso[1]}-${iso[2]}-${iso[3]}`;
  const us = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(v);
  if (us) return `${us[3]}-${us[1]!.padStart(2, '0')}-${us[2]!.padStart(2, '0')}`;
  return v;
}

/** E.164 for North American numbers and numbers already given with a country code. */
export function toE164(value: string, defaultCountry = '1'): string {
  const plus = value.trim().startsWith('+');
  const digits = value.replace(/\D/g, '');
  if (plus) return `+${digits}`;
  if (digits.length === 10) return `+${defaultCountry}${digits}`;
  if (digits.length === 11 && digits.startsWith(defaultCountry)) return `+${digits}`;
  return digits ? `+${digits}` : value;
}
