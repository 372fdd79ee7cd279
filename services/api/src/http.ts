import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { formatIssues } from '@cr/core';

/** The one JSON error shape of the api (FHIR routes use OperationOutcome instead). */
export interface ApiError { error: { code: string; message: string; details?: string[] } }

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: string[] | undefined;
  constructor(status: number, code: string, message: string, details?: string[]) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export function sendError(res: ServerResponse, error: HttpError): void {
  const body: ApiError = { error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } };
  sendJson(res, error.status, body);
}

const MAX_BODY = 1 << 20;

export async function readJson<S extends z.ZodType>(req: IncomingMessage, schema: S): Promise<z.infer<S>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'too_large', 'request body over 1 MiB');
    chunks.push(chunk as Buffer);
  }
  let parsed: unknown;
  try { parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { throw new HttpError(400, 'bad_json', 'request body is not JSON'); }
  const result = schema.safeParse(parsed);
  if (!result.success) throw new HttpError(400, 'invalid', 'request body is invalid', formatIssues(result.error));
  return result.data;
}
