import { foundInSource } from './evidence.ts';
import type { Judge, JudgeInput, Judgement, JudgeOutcome } from './judge.ts';
import { formatValidatorFor } from './validators.ts';

export interface DeterministicJudgeOptions {
  /** The confidence a verified event is raised to (default 1.0: as good as its source). */
  verifiedConfidence?: number;
}

export const DETERMINISTIC_JUDGE = 'deterministic';

/**
 * The built-in judge. Every value must be well formed (phone, date of birth,
 * insurance member id, NPI) and found in, or consistent with, the source
 * material. A malformed value rejects the event; a value it cannot find (or no
 * source material at all) leaves it uncertain. Pure.
 */
export function judgeDeterministically(input: JudgeInput, options: DeterministicJudgeOptions = {}): Judgement {
  const { event, now } = input;
  const source = event.sourceMaterial ?? null;
  const findings: string[] = [];
  let rejected = 0;
  let unsupported = 0;
  const fields = Object.keys(event.attributes).sort();
  for (const field of fields) {
    const valueJson = event.attributes[field]!;
    const validator = formatValidatorFor(field);
    if (validator) {
      let value: unknown;
      try { value = JSON.parse(valueJson); } catch { value = undefined; }
      const problem = validator.validate(value, now);
      if (problem) { rejected++; findings.push(`${field}: ${problem}`); continue; }
    }
    if (!source) { unsupported++; findings.push(`${field}: no source material to check against`); continue; }
    if (foundInSource(valueJson, source)) findings.push(`${field}: found in the source material`);
    else { unsupported++; findings.push(`${field}: not found in the source material`); }
  }
  const outcome: JudgeOutcome = rejected ? 'rejected' : unsupported ? 'uncertain' : 'verified';
  const reason = outcome === 'verified'
    ? `all ${fields.length} values well formed and found in the source material`
    : outcome === 'rejected'
      ? `${rejected} of ${fields.length} values malformed`
      : `${unsupported} of ${fields.length} values not supported by the source material`;
  return { eventId: event.eventId, outcome, confidence: options.verifiedConfidence ?? 1, judge: DETERMINISTIC_JUDGE, reason, findings };
}

export function createDeterministicJudge(options: DeterministicJudgeOptions = {}): Judge {
  return { name: DETERMINISTIC_JUDGE, judge: async (input) => judgeDeterministically(input, options) };
}
