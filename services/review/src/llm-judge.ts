import CircuitBreaker from 'opossum';
import { request } from 'undici';
import { z } from 'zod';
import { describeError, PayloadError, TransportError, type Logger } from '@cr/core';
import { judgeDeterministically, type Judge, type JudgeInput, type Judgement, type JudgeOutcome } from '@cr/world-model';

export interface LlmJudgeOptions {
  /** OpenAI-compatible base URL, e.g. http://127.0.0.1:8000/v1 (`/chat/completions` is appended). */
  baseUrl: string;
  model: string;
  apiKey?: string | undefined;
  timeoutMs: number;
  breakerErrorPercent: number;
  breakerVolume: number;
  breakerResetMs: number;
  verifiedConfidence: number;
  /** Used whenever the endpoint is down, slow, refuses, or answers nonsense. */
  fallback: Judge;
  logger: Logger;
  /** Called with 'fallback' or 'open' | 'halfOpen' | 'close' (for metrics). */
  onEvent?: (event: 'fallback' | 'open' | 'halfOpen' | 'close') => void;
}

export interface LlmJudge extends Judge {
  /** True while the breaker is open (calls go straight to the fallback). */
  isOpen(): boolean;
  shutdown(): void;
}

const SYSTEM_PROMPT = [
  'You check data an automated agent extracted from a conversation or a record.',
  'For each field, decide whether its value is stated in, or clearly consistent with, the source material.',
  'Answer with JSON only: {"verdict":"verified"|"rejected"|"uncertain","reason":"...","fields":{"<field>":{"supported":true|false}}}.',
  '"verified": every value is supported. "rejected": a value contradicts the source material. "uncertain": otherwise.',
].join(' ');

const answerSchema = z.object({
  verdict: z.enum(['verified', 'rejected', 'uncertain']),
  reason: z.string().max(2_000).optional(),
  fields: z.record(z.string(), z.object({ supported: z.boolean() }).passthrough()).optional(),
}).passthrough();

const completionSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string() }) })).min(1),
});

/**
 * A judge backed by any OpenAI-compatible chat endpoint, over undici with a
 * timeout and an opossum circuit breaker. Format validators still apply (a
 * malformed value is rejected whatever the model says); when the endpoint is
 * down, slow or answers nonsense, the deterministic judge decides instead.
 */
export function createLlmJudge(options: LlmJudgeOptions): LlmJudge {
  const log = options.logger.child({ component: 'llm-judge' });
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const name = `llm:${options.model}`;

  async function ask(input: JudgeInput): Promise<z.infer<typeof answerSchema>> {
    const fields = Object.fromEntries(Object.entries(input.event.attributes).map(([k, v]) => {
      try { return [k, JSON.parse(v) as unknown]; } catch { return [k, v]; }
    }));
    let res;
    try {
      res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) },
        body: JSON.stringify({
          model: options.model, temperature: 0, response_format: { type: 'json_object' },
          messages: [
            { role: 'system', content: SYSTEM_PROMPT },
            { role: 'user', content: JSON.stringify({ entityType: input.event.entityType, origin: input.event.origin, fields, sourceMaterial: input.event.sourceMaterial ?? null }) },
          ],
        }),
        signal: AbortSignal.timeout(options.timeoutMs),
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.timeoutMs,
      });
    } catch (error) {
      throw new TransportError(`llm judge: request failed (${describeError(error).name})`, { cause: error });
    }
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new TransportError(`llm judge: endpoint answered ${res.statusCode}`);
    let content: string;
    try {
      content = completionSchema.parse(JSON.parse(text)).choices[0]!.message.content;
    } catch {
      throw new PayloadError('llm judge: not a chat completion');
    }
    // Some models wrap JSON in a code fence.
    const json = /\{[\s\S]*\}/.exec(content)?.[0];
    const parsed = json ? answerSchema.safeParse((() => { try { return JSON.parse(json) as unknown; } catch { return undefined; } })()) : undefined;
    if (!parsed?.success) throw new PayloadError('llm judge: answer is not the expected JSON');
    return parsed.data;
  }

  const breaker = new CircuitBreaker(ask, {
    // undici's own timeout aborts first; this is a backstop.
    timeout: options.timeoutMs + 1_000,
    errorThresholdPercentage: options.breakerErrorPercent,
    volumeThreshold: options.breakerVolume,
    resetTimeout: options.breakerResetMs,
  });
  breaker.on('open', () => { log.warn({ judge: name }, 'llm_judge.breaker.open'); options.onEvent?.('open'); });
  breaker.on('halfOpen', () => { log.info({ judge: name }, 'llm_judge.breaker.half_open'); options.onEvent?.('halfOpen'); });
  breaker.on('close', () => { log.info({ judge: name }, 'llm_judge.breaker.closed'); options.onEvent?.('close'); });

  return {
    name,
    isOpen: () => breaker.opened,
    shutdown: () => breaker.shutdown(),
    async judge(input: JudgeInput): Promise<Judgement> {
      // Malformed values are rejected by the validators whatever the model would say.
      const local = judgeDeterministically(input, { verifiedConfidence: options.verifiedConfidence });
      if (local.outcome === 'rejected') return local;
      let answer: z.infer<typeof answerSchema>;
      try {
        answer = await breaker.fire(input);
      } catch (error) {
        options.onEvent?.('fallback');
        log.warn({ judge: name, eventId: input.event.eventId, err: describeError(error).message, open: breaker.opened }, 'llm_judge.fallback');
        const fallback = await options.fallback.judge(input);
        return { ...fallback, reason: `${fallback.reason} (llm judge unavailable)` };
      }
      const unsupported = Object.entries(answer.fields ?? {}).filter(([, f]) => !f.supported).map(([k]) => k).filter((k) => k in input.event.attributes);
      const outcome: JudgeOutcome = answer.verdict === 'verified' && unsupported.length === 0 ? 'verified' : answer.verdict === 'rejected' ? 'rejected' : 'uncertain';
      return {
        eventId: input.event.eventId, outcome, confidence: options.verifiedConfidence, judge: name,
        // The model's own words may quote values: keep only field names.
        reason: outcome === 'verified' ? 'the model found every value supported by the source material' : `the model answered ${answer.verdict}`,
        findings: unsupported.map((k) => `${k}: not supported according to the model`),
      };
    },
  };
}
