import type { Rng } from './random.ts';
import { NICKNAMES } from './vocabulary.ts';

/** How often each corruption hits one source record (0..1). */
export interface CorruptionRates {
  nickname: number;
  initial: number;
  firstTypo: number;
  lastTypo: number;
  transposed: number;
  dobSwapped: number;
  dobTypo: number;
  dobMissing: number;
  phoneMissing: number;
  phoneChanged: number;
  emailMissing: number;
  zipMissing: number;
  genderMissing: number;
}

export const DEFAULT_RATES: CorruptionRates = {
  nickname: 0.1, initial: 0.03, firstTypo: 0.03, lastTypo: 0.04, transposed: 0.01,
  dobSwapped: 0.03, dobTypo: 0.02, dobMissing: 0.02,
  phoneMissing: 0.12, phoneChanged: 0.04, emailMissing: 0.35, zipMissing: 0.05, genderMissing: 0.03,
};

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** One keying error: a letter substituted, dropped, doubled or two swapped. */
export function typo(rng: Rng, word: string): string {
  if (word.length < 3) return word;
  const i = rng.int(1, word.length - 2);
  const upper = word[i] !== word[i]!.toLowerCase();
  const letter = upper ? rng.pick([...LETTERS]).toUpperCase() : rng.pick([...LETTERS]);
  switch (rng.int(0, 3)) {
    case 0: return word.slice(0, i) + letter + word.slice(i + 1);
    case 1: return word.slice(0, i) + word.slice(i + 1);
    case 2: return word.slice(0, i) + word[i] + word.slice(i);
    default: return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
  }
}

export function nickname(rng: Rng, first: string): string | undefined {
  const options = NICKNAMES[first.toLowerCase()];
  if (!options) return undefined;
  const n = rng.pick(options);
  return n.charAt(0).toUpperCase() + n.slice(1);
}

/** A date with one digit of its year, month or day mistyped (kept valid). */
export function dateTypo(rng: Rng, iso: string): string {
  const [y, m, d] = iso.split('-') as [string, string, string];
  for (let attempt = 0; attempt < 10; attempt++) {
    const part = rng.int(0, 2);
    if (part === 0) return `${y.slice(0, 3)}${(Number(y[3]) + rng.int(1, 9)) % 10}-${m}-${d}`;
    const v = part === 1 ? m : d;
    const digit = rng.int(0, 1);
    const changed = digit === 0 ? `${(Number(v[0]) + 1) % 3}${v[1]}` : `${v[0]}${(Number(v[1]) + rng.int(1, 9)) % 10}`;
    const n = Number(changed);
    if (part === 1 && n >= 1 && n <= 12 && changed !== v) return `${y}-${changed}-${d}`;
    if (part === 2 && n >= 1 && n <= 28 && changed !== v) return `${y}-${m}-${changed}`;
  }
  return iso;
}

export function swapDayMonth(iso: string): string | undefined {
  const [y, m, d] = iso.split('-');
  if (!y || !m || !d || m === d || Number(d) > 12) return undefined;
  return `${y}-${d}-${m}`;
}
