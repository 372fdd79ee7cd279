/**
 * Is a value found in, or consistent with, its source material (a call
 * transcript or a raw record)? Spoken forms count: digits said as words
 * ("five five five"), dates said in words ("March 15th, 1982"), codes spelled
 * out with dashes ("X K dash one two").
 */

const NUMBER_WORDS: Record<string, string> = {
  zero: '0', oh: '0', one: '1', two: '2', three: '3', four: '4', five: '5', six: '6', seven: '7', eight: '8', nine: '9',
};
const FILLER = new Set(['dash', 'hyphen', 'space']);
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** Lower-case word and number tokens, number words turned into digits. */
function tokens(text: string): string[] {
  return text.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean).map((t) => NUMBER_WORDS[t] ?? t);
}

/** Runs of consecutive digit tokens, joined: "(555) 867-5309" and "five five five ..." both give "5558675309". */
function digitRuns(text: string): string[] {
  const runs: string[] = [];
  let run = '';
  for (const t of tokens(text)) {
    if (/^\d+$/.test(t)) { run += t; continue; }
    if (FILLER.has(t)) continue;
    if (run) runs.push(run);
    run = '';
  }
  if (run) runs.push(run);
  return runs;
}

function phoneFound(value: string, source: string): boolean {
  const digits = value.replace(/\D/g, '');
  const national = value.startsWith('+1') ? digits.slice(1) : digits;
  return digitRuns(source).some((r) => r.includes(national) || r.includes(digits));
}

function dateFound(value: string, source: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return false;
  const [y, mo, d] = [m[1]!, Number(m[2]), Number(m[3])];
  const month = MONTHS[mo - 1]!;
  const text = ` ${source.toLowerCase().replace(/(\d)(st|nd|rd|th)\b/g, '$1').replace(/[,]/g, ' ').replace(/\s+/g, ' ')} `;
  const variants = [
    value, `${String(mo).padStart(2, '0')}/${String(d).padStart(2, '0')}/${y}`, `${mo}/${d}/${y}`,
    `${String(d).padStart(2, '0')}.${String(mo).padStart(2, '0')}.${y}`,
    `${month} ${d} ${y}`, `${d} ${month} ${y}`, `${month.slice(0, 3)} ${d} ${y}`, `${d} ${month.slice(0, 3)} ${y}`,
  ];
  return variants.some((v) => text.includes(v));
}

/** Codes (member ids, NPIs, MRNs): letters and digits in order, separators and spelling ignored. */
function codeFound(value: string, source: string): boolean {
  const want = value.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (!want) return false;
  const stream = tokens(source).filter((t) => !FILLER.has(t)).join('');
  return stream.includes(want);
}

function textFound(value: string, source: string): boolean {
  // Dots and @ stay inside words (emails, "St."), not at their edges (end of a sentence).
  const norm = (s: string): string => ` ${s.toLowerCase().replace(/[^a-z0-9@.]+/g, ' ').replace(/[.@]+(?=\s|$)|(?<=^|\s)[.@]+/g, '').replace(/\s+/g, ' ').trim()} `;
  const spokenEmail = (s: string): string => s.replace(/\s+at\s+/gi, '@').replace(/\s+dot\s+/gi, '.');
  const want = norm(value);
  if (want.trim() === '') return false;
  return norm(source).includes(want) || norm(spokenEmail(source)).includes(want);
}

/** One scalar value: as a phone, a date, a code or plain text, by its shape. */
function scalarFound(value: unknown, source: string): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'boolean') return textFound(String(value), source);
  const s = String(value);
  if (/^\+\d{8,15}$/.test(s)) return phoneFound(s, source);
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return dateFound(s, source) || textFound(s, source);
  if (/\d/.test(s) && /^[A-Za-z0-9 .-]+$/.test(s)) return codeFound(s, source) || textFound(s, source);
  return textFound(s, source);
}

/** True when every part of the (JSON-encoded) value is found in the source material. */
export function foundInSource(valueJson: string, source: string): boolean {
  let value: unknown;
  try { value = JSON.parse(valueJson); } catch { value = valueJson; }
  const parts = Array.isArray(value) ? value : value && typeof value === 'object' ? Object.values(value as Record<string, unknown>) : [value];
  return parts.length > 0 && parts.every((p) => scalarFound(p, source));
}
