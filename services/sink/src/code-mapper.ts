import { describeError, type Logger } from '@cr/core';
import { allowedCodes, normaliseText, type CodeMapping, type SinkConfig } from '@cr/world-model';

/** Answers with a code for free text, or undefined: then the deterministic table decides. */
export interface CodeMapper {
  code(field: string, text: string, mapping: CodeMapping): Promise<string | undefined>;
}

export type LlmFallback = 'down' | 'unsure' | 'not_allowed';

export const NO_LLM: CodeMapper = { code: async () => undefined };

/**
 * The optional LLM mapper. Protocol (one POST per distinct text, answers cached):
 *   request  {"task": "map_to_code", "field": "insurance.carrier", "text": "...", "codes": ["BCBS", ...]}
 *   response {"code": "BCBS" | null, "confidence": 0.93}
 * Down (network, timeout, non-2xx, bad JSON), unsure (below minConfidence or no
 * code) or a code outside the allowed list: undefined, and the table answers, so
 * writes go on during an LLM outage. Texts go only to the configured endpoint;
 * logs carry the field name and the fallback reason, never the text.
 */
export function createLlmCodeMapper(o: { llm: NonNullable<SinkConfig['llm']>; token?: string; logger: Logger; onFallback?: (reason: LlmFallback) => void; maxCached?: number }): CodeMapper {
  const cache = new Map<string, string | undefined>();
  const maxCached = o.maxCached ?? 1_000;
  const log = o.logger.child({ component: 'llm-code-mapper' });
  const fallback = (field: string, reason: LlmFallback, extra: Record<string, unknown> = {}): undefined => {
    o.onFallback?.(reason);
    log.warn({ field, reason, ...extra }, 'sink.llm.fallback');
    return undefined;
  };
  return {
    async code(field, text, mapping) {
      if (!mapping.llm) return undefined;
      const codes = allowedCodes(mapping);
      const key = `${field}\u0000${normaliseText(text)}`;
      if (cache.has(key)) return cache.get(key);
      let answer: { code?: unknown; confidence?: unknown };
      try {
        const res = await fetch(o.llm.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) },
          body: JSON.stringify({ task: 'map_to_code', field, text, codes }),
          signal: AbortSignal.timeout(o.llm.timeoutMs),
        });
        if (!res.ok) return fallback(field, 'down', { status: res.status });
        answer = (await res.json()) as typeof answer;
      } catch (error) {
        return fallback(field, 'down', { errorName: describeError(error).name });
      }
      const confidence = typeof answer.confidence === 'number' ? answer.confidence : 0;
      let result: string | undefined;
      if (typeof answer.code !== 'string' || confidence < o.llm.minConfidence) result = fallback(field, 'unsure', { confidence });
      else if (!codes.includes(answer.code)) result = fallback(field, 'not_allowed');
      else result = answer.code;
      if (cache.size >= maxCached) cache.delete(cache.keys().next().value as string);
      cache.set(key, result);
      return result;
    },
  };
}
