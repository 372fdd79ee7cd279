import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeError, type Logger } from '@cr/core';

export interface WebhookRequest {
  headers: IncomingHttpHeaders;
  /** Raw bytes: signatures are computed over exactly what was sent. */
  body: Buffer;
}

export interface WebhookResponse { status: number; body: Record<string, unknown> }

export type WebhookHandler = (req: WebhookRequest) => Promise<WebhookResponse>;

/** Routes `POST /webhooks/<data source id>` to that source's handler. */
export interface WebhookRouter {
  register(dataSourceId: string, handler: WebhookHandler): void;
  unregister(dataSourceId: string): void;
}

export interface WebhookServer extends WebhookRouter {
  port(): number;
  close(): Promise<void>;
}

const MAX_BODY = 10 * 1024 * 1024;

/** The webhook receiver: one listener for every webhook source of this instance. */
export async function createWebhookServer(o: { port: number; host: string; logger: Logger }): Promise<WebhookServer> {
  const handlers = new Map<string, WebhookHandler>();
  const send = (res: ServerResponse, status: number, body: Record<string, unknown>): void => {
    if (res.headersSent) return;
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const server: Server = createServer((req, res) => {
    const m = /^\/webhooks\/([a-z0-9][a-z0-9-]{0,62})$/.exec((req.url ?? '/').split('?')[0]!);
    const handler = m ? handlers.get(m[1]!) : undefined;
    if (!handler) { req.resume(); send(res, 404, { error: 'no such webhook' }); return; }
    if (req.method !== 'POST') { req.resume(); send(res, 405, { error: 'POST only' }); return; }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) { send(res, 413, { error: 'body too large' }); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => {
      handler({ headers: req.headers, body: Buffer.concat(chunks) })
        .then((r) => send(res, r.status, r.body))
        .catch((error: unknown) => {
          o.logger.warn({ dataSourceId: m![1], ...describeError(error) }, 'ingest.webhook.failed');
          send(res, 503, { error: 'not accepted, retry later' });
        });
    });
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(o.port, o.host, () => resolve()); });
  return {
    register: (id, h) => { handlers.set(id, h); },
    unregister: (id) => { handlers.delete(id); },
    port: () => (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
