/** Normalisation for matching: pure string functions, no locale surprises. */

/** Lower-case ASCII letters only: accents folded, punctuation and spaces dropped. */
export function foldName(value: string): string {
  return value.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z]/g, '');
}

const SUFFIXES = new Set(['jr', 'sr', 'ii', 'iii', 'iv', 'md', 'phd', 'dr', 'mr', 'mrs', 'ms', 'miss']);

/** Name tokens: split on spaces, hyphens, dots and apostrophes inside words are kept out; titles and suffixes dropped. */
export function nameTokens(value: string): string[] {
  return value.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .split(/[\s\-,.]+/).map((t) => t.replace(/[^a-z]/g, '')).filter((t) => t && !SUFFIXES.has(t));
}

const SOUNDEX: Record<string, string> = {
  b: '1', f: '1', p: '1', v: '1',
  c: '2', g: '2', j: '2', k: '2', q: '2', s: '2', x: '2', z: '2',
  d: '3', t: '3', l: '4', m: '5', n: '5', r: '6',
};

/** American Soundex of a folded name ("" for none). */
export function soundex(value: string): string {
  const s = foldName(value);
  if (!s) return '';
  let out = s[0]!.toUpperCase();
  let last = SOUNDEX[s[0]!] ?? '';
  for (let i = 1; i < s.length && out.length < 4; i++) {
    const ch = s[i]!;
    const code = SOUNDEX[ch] ?? '';
    if (code && code !== last) out += code;
    // h and w do not separate equal codes; vowels do.
    if (ch !== 'h' && ch !== 'w') last = code;
  }
  return out.padEnd(4, '0');
}

/** Digits of a phone number, without a leading North American country code. */
export function phoneDigits(value: string): string {
  const d = value.replace(/\D/g, '');
  return d.length === 11 && d.startsWith('1') ? d.slice(1) : d;
}

export function zip5(value: string): string {
  const d = value.replace(/\D/g, '');
  return d.length >= 5 ? d.slice(0, 5) : '';
}

export function normaliseEmail(value: string): string {
  return value.trim().toLowerCase();
}

/** YYYY-MM-DD or undefined. */
export function isoDate(value: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value.trim());
  return m ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
}

/** The date with day and month exchanged, when that is a valid date and differs. */
export function swapDayMonth(iso: string): string | undefined {
  const [y, m, d] = iso.split('-');
  if (!y || !m || !d || m === d || Number(d) > 12) return undefined;
  return `${y}-${d}-${m}`;
}
