import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths that must never reach a log line: payloads, secrets, tokens, PHI.
 * Log ids, counts and hashes instead. The redaction is a safety net, not a licence.
 */
export const REDACT_PATHS = [
  'payload', '*.payload', 'body', '*.body', 'resource', '*.resource', 'value', '*.value',
  'secret', '*.secret', 'password', '*.password', 'token', '*.token', 'accessToken', '*.accessToken',
  'privateKey', '*.privateKey', 'clientSecret', '*.clientSecret', 'authorization', '*.authorization',
  'headers.authorization', 'req.headers.authorization', 'attributes', '*.attributes',
];

export interface LoggerOptions {
  name: string;
  level?: string;
  /** Where to write; defaults to stdout. Tests pass a stream to inspect output. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.name,
      level: options.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: options.name, pid: process.pid },
    },
    options.destination ?? process.stdout,
  );
}
