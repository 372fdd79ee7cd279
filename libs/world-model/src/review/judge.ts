import type { WorldEvent } from '../types.ts';

export type JudgeOutcome = 'verified' | 'rejected' | 'uncertain';

export interface JudgeInput {
  entityId: string;
  /** The event under review; its `sourceMaterial` is what the values are checked against. */
  event: WorldEvent;
  /** Now, as data (ms): date checks depend on it. */
  now: number;
}

/**
 * What a judge says about one event. `verified`: every value is supported by the
 * source material and well formed; `rejected`: a value is malformed; `uncertain`:
 * the judge cannot tell (no source material, a value not found). Findings name
 * fields and problems only, never values.
 */
export interface Judgement {
  eventId: string;
  outcome: JudgeOutcome;
  /** The confidence a verified event is raised to. */
  confidence: number;
  judge: string;
  reason: string;
  findings: string[];
}

/** The judge interface: the deterministic judge is built in, an LLM judge is optional. */
export interface Judge {
  readonly name: string;
  judge(input: JudgeInput): Promise<Judgement>;
}

/** Confidence of an operator's approval (ARCHITECTURE: operator = 1.0). */
export const OPERATOR_CONFIDENCE = 1.0;
