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

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, contentType = 'application/json'): void {
  res.writeHead(status, { 'content-type': contentType, ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

export function errorBody(error: HttpError): ApiError {
  return { error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) } };
}

const MAX_BODY = 8 << 20;

/** The raw JSON body (any shape); 400 when it is not JSON, 413 when over 8 MiB. */
export async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, 'too_large', 'request body over 8 MiB');
    chunks.push(chunk as Buffer);
  }
  try { return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown; } catch { throw new HttpError(400, 'bad_json', 'request body is not JSON'); }
}

/** Validates a value with a zod schema; 400 naming every problem by its dotted path. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what = 'request body'): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new HttpError(400, 'invalid', `${what} is invalid`, formatIssues(result.error));
  return result.data;
}

export async function readJson<S extends z.ZodType>(req: IncomingMessage, schema: S): Promise<z.infer<S>> {
  return validate(schema, await readBody(req));
}

/** Query parameters as an object (a repeated name keeps its last value), for zod. */
export function queryObject(query: URLSearchParams): Record<string, string> {
  return Object.fromEntries(query.entries());
}
