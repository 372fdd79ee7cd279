/**
 * Format validators for values the review judges: phone, date of birth,
 * insurance member id and NPI. Each returns null when the value is well formed,
 * else a short problem (never the value itself: it may be PHI).
 */
export type FormatValidator = (value: unknown, now: number) => string | null;

/** E.164; North American numbers also need a real area code and exchange. */
export const validatePhone: FormatValidator = (value) => {
  if (typeof value !== 'string' || !/^\+[1-9]\d{7,14}$/.test(value)) return 'not an E.164 phone number';
  if (value.startsWith('+1') && !/^\+1[2-9]\d{2}[2-9]\d{6}$/.test(value)) return 'not a valid North American phone number';
  return null;
};

const MAX_AGE_YEARS = 130;

/** YYYY-MM-DD, a real calendar date, not in the future, not more than 130 years ago. */
export const validateBirthDate: FormatValidator = (value, now) => {
  if (typeof value !== 'string') return 'not a date';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return 'not a YYYY-MM-DD date';
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return 'not a calendar date';
  if (t > now) return 'in the future';
  if (new Date(now).getUTCFullYear() - y > MAX_AGE_YEARS) return `more than ${MAX_AGE_YEARS} years ago`;
  return null;
};

/** Insurance member ids: 5-24 letters, digits or dashes, at least one digit, no spaces. */
export const validateMemberId: FormatValidator = (value) => {
  if (typeof value !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9-]{3,22}[A-Za-z0-9]$/.test(value)) return 'not a member id (5-24 letters, digits or dashes)';
  if (!/\d/.test(value)) return 'a member id has at least one digit';
  return null;
};

/** NPI: 10 digits, the last a Luhn check digit over the prefix 80840 and the first nine. */
export const validateNpi: FormatValidator = (value) => {
  const s = typeof value === 'number' ? String(value) : value;
  if (typeof s !== 'string' || !/^[12]\d{9}$/.test(s)) return 'not a 10-digit NPI';
  const digits = `80840${s.slice(0, 9)}`.split('').map(Number);
  let sum = 0;
  for (let i = digits.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = digits[i]!;
    if (double) { d *= 2; if (d > 9) d -= 9; }
    sum += d;
  }
  return (10 - (sum % 10)) % 10 === Number(s[9]) ? null : 'NPI check digit does not match';
};

/** The validator a field takes, by its name (`phone`, `contact.mobile`, `birthDate`, `insurance.memberId`, `npi`). */
export function formatValidatorFor(field: string): { kind: string; validate: FormatValidator } | undefined {
  const last = (field.split('.').at(-1) ?? field).toLowerCase();
  if (/^(phone|mobile|mobilephone|telephone|tel|homephone|workphone)$/.test(last)) return { kind: 'phone', validate: validatePhone };
  if (/^(birthdate|dob|dateofbirth)$/.test(last)) return { kind: 'date of birth', validate: validateBirthDate };
  if (/^(memberid|subscriberid|insurancememberid)$/.test(last)) return { kind: 'insurance member id', validate: validateMemberId };
  if (last === 'npi') return { kind: 'NPI', validate: validateNpi };
  return undefined;
}
