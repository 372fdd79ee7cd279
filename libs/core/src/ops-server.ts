import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, collectDefaultMetrics } from 'prom-client';

export interface OpsServer {
  readonly registry: Registry;
  /** The port actually bound (useful when 0 was asked for). */
  port(): number;
  setReady(ready: boolean): void;
  close(): Promise<void>;
}

export interface OpsServerOptions {
  port: number;
  host?: string;
  serviceName: string;
  registry?: Registry;
  /** Extra liveness check; the process is live unless it throws. */
  live?: () => void;
}

/**
 * /metrics (Prometheus), /healthz (process alive) and /readyz (connected and
 * subscribed). One registry per service instance, never the global default.
 */
export async function createOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const registry = options.registry ?? new Registry();
  registry.setDefaultLabels({ service: options.serviceName });
  collectDefaultMetrics({ register: registry });
  let ready = false;

  const server: Server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/metrics') {
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(await registry.metrics());
      } else if (path === '/healthz') {
        try {
          options.live?.();
          res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
        } catch {
          res.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"unhealthy"}');
        }
      } else if (path === '/readyz') {
        res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: ready ? 'ready' : 'starting' }));
      } else {
        res.writeHead(404).end();
      }
    })().catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  return {
    registry,
    port: () => (server.address() as AddressInfo).port,
    setReady: (r) => { ready = r; },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
