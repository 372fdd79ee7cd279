import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ConfigError } from '@cr/core';

/**
 * SSRF guard for URLs taken from configuration (the token-exchange endpoint):
 * private, loopback, link-local, CGNAT, unspecified and multicast addresses are
 * refused unless explicitly allow-listed (INGEST_SSRF_ALLOW, for tests). It is
 * checked when the configuration is applied and again, after DNS resolution,
 * before every request, so a name that later resolves inward is still refused.
 */
const V4_BLOCKED: [string, number][] = [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
];

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
}

function inV4Cidr(ip: string, base: string, bits: number): boolean {
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (v4ToInt(ip) & mask) === (v4ToInt(base) & mask);
}

export function isBlockedAddress(ip: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return isBlockedAddress(mapped[1]!);
  if (isIP(ip) === 4) return V4_BLOCKED.some(([b, n]) => inV4Cidr(ip, b, n));
  const lower = ip.toLowerCase();
  return lower === '::1' || lower === '::' || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower) || /^ff/.test(lower);
}

/** An allow-list entry matches a host name, an IP, or an IPv4 CIDR. */
export function allowListed(host: string, ip: string | undefined, allow: readonly string[]): boolean {
  return allow.some((a) => {
    if (a === host || a === ip) return true;
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(a);
    return !!m && !!ip && isIP(ip) === 4 && inV4Cidr(ip, m[1]!, Number(m[2]));
  });
}

export type Resolver = (host: string) => Promise<string[]>;

export const systemResolver: Resolver = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

/** Refuses `url` (ConfigError naming `path`) if it points, or resolves, to an internal address. */
export async function assertPublicUrl(url: string, path: string, allow: readonly string[], resolve: Resolver = systemResolver): Promise<void> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new ConfigError(`${path}: only http(s) URLs`);
  if (host === 'localhost' || host.endsWith('.localhost')) {
    if (!allowListed(host, undefined, allow)) throw new ConfigError(`${path}: loopback host refused`);
  }
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try { addresses = await resolve(host); } catch { throw new ConfigError(`${path}: host does not resolve`); }
  }
  for (const ip of addresses) {
    if (isBlockedAddress(ip) && !allowListed(host, ip, allow)) throw new ConfigError(`${path}: ${host} resolves to a private, loopback or link-local address`);
  }
}
