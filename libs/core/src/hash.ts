import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so equal content always hashes equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const src = value as Record<string, unknown>;
    return Object.fromEntries(Object.keys(src).sort().filter((k) => src[k] !== undefined).map((k) => [k, sortKeys(src[k])]));
  }
  return value;
}

export function sha256Hex(input: string | Uint8Array): string {
  return createHash('sha256').update(input).digest('hex');
}

/** Content hash of a JSON value, insensitive to key order. */
export function contentHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

/** A deterministic id from parts: same parts, same id, on every instance and replay. */
export function deterministicId(...parts: readonly string[]): string {
  return sha256Hex(parts.join('\u001f')).slice(0, 32);
}
