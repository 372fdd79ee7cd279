import { z } from 'zod';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PATTERN = /^([+-]?)(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/;

/** `'24h'`, `'-24h'`, `'30m'`, `'7d'`, `'500ms'` in milliseconds; undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = PATTERN.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[2]) * UNIT_MS[m[3]!]!;
  return Math.round(m[1] === '-' ? -ms : ms);
}

/** A duration in configuration: milliseconds as a number, or text such as `'-24h'` or `'7d'`. */
export const durationSchema = z.union([
  z.number().int(),
  z.string().transform((s, ctx) => {
    const ms = parseDuration(s);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a duration such as 500ms, 30s, 15m, 24h, 7d or -24h' });
      return z.NEVER;
    }
    return ms;
  }),
]);

/** The same, never negative. */
export const positiveDurationSchema = durationSchema.refine((ms) => ms >= 0, 'must not be negative');
