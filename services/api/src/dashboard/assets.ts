import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';

/** The page's files: read once at start-up, served from memory. */
export const ASSET_DIR = new URL('./static/', import.meta.url);
export const ASSET_FILES = ['index.html', 'dashboard.css', 'dashboard.js', 'favicon.svg'] as const;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * The page loads only its own files and calls only its own origin: no inline
 * script or style, no framing, no forms posted anywhere, no base-uri games.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface Asset {
  body: Buffer;
  contentType: string;
  /** Strong validator from the content, so a reload after an upgrade never mixes versions. */
  etag: string;
}

/** Reads every file of the page; a missing file stops start-up (a broken build, not a runtime condition). */
export function loadAssets(dir: URL = ASSET_DIR): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of ASSET_FILES) {
    const body = readFileSync(new URL(name, dir));
    const contentType = CONTENT_TYPES[extname(name)];
    if (!contentType) throw new Error(`dashboard asset ${name} has no known content type`);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    assets.set(name, { body, contentType, etag });
  }
  return assets;
}

/** Headers every dashboard response carries. The page holds no data, but it must not be framed or sniffed. */
export function securityHeaders(): Record<string, string> {
  return {
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
  };
}
