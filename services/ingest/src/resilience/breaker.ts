import CircuitBreaker from 'opossum';
import { TransportError } from '@cr/core';
import type { BreakerConfig } from '@cr/world-model';

export interface SourceBreaker {
  /** Runs `fn` through the circuit; an open circuit fails fast with a non-retriable TransportError. */
  fire<T>(fn: () => Promise<T>): Promise<T>;
  state(): 'closed' | 'open' | 'half_open';
  shutdown(): void;
}

/**
 * One opossum breaker per source. Only transport, throttling and timeout
 * failures count against the circuit: an auth or payload error says nothing
 * about whether the system is up.
 */
export function createSourceBreaker(name: string, o: BreakerConfig, onStateChange?: (state: string) => void): SourceBreaker {
  const breaker = new CircuitBreaker(async (fn: () => Promise<unknown>) => fn(), {
    name,
    timeout: o.timeoutMs,
    errorThresholdPercentage: o.errorThresholdPercentage,
    volumeThreshold: o.volumeThreshold,
    resetTimeout: o.resetTimeoutMs,
    errorFilter: (error: unknown) => !(error instanceof Error && 'errorClass' in error && ['transport', 'throttling'].includes(String((error as { errorClass: string }).errorClass))),
  });
  breaker.on('open', () => onStateChange?.('open'));
  breaker.on('halfOpen', () => onStateChange?.('half_open'));
  breaker.on('close', () => onStateChange?.('closed'));
  return {
    async fire<T>(fn: () => Promise<T>): Promise<T> {
      try {
        return (await breaker.fire(fn)) as T;
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'EOPENBREAKER') throw new TransportError(`circuit open for ${name}`, { retriable: false, cause: error });
        if (code === 'ETIMEDOUT') throw new TransportError(`call timed out after ${o.timeoutMs} ms`, { cause: error });
        throw error;
      }
    },
    state: () => (breaker.opened ? 'open' : breaker.halfOpen ? 'half_open' : 'closed'),
    shutdown: () => breaker.shutdown(),
  };
}
