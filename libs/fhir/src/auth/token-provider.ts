/** Supplies a bearer token; cached and renewed before it expires. */
export interface TokenProvider {
  token(): Promise<string>;
  /** Forget the cached token (after a 401), so the next call mints a new one. */
  invalidate(): void;
}

export interface CachedToken {
  value: string;
  expiresAt: number;
}

/**
 * Caches one token and renews it `renewBeforeMs` before it expires; concurrent
 * callers share one mint (single flight).
 */
export function cachedToken(mint: () => Promise<CachedToken>, renewBeforeMs: number, now: () => number = Date.now): TokenProvider {
  let current: CachedToken | undefined;
  let minting: Promise<CachedToken> | undefined;
  return {
    async token() {
      if (current && now() < current.expiresAt - renewBeforeMs) return current.value;
      minting ??= mint().finally(() => { minting = undefined; });
      current = await minting;
      return current.value;
    },
    invalidate() { current = undefined; },
  };
}
