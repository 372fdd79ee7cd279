/**
 * CLI: node test/fhir-server/src/main.ts [--port 0] [--host 127.0.0.1] [--base-path /fhir/R4]
 *        [--base-url URL] [--page-size 20] [--max-page-size 1000] [--no-validate] [--log]
 *
 * Prints one JSON line {"url": ..., "adminUrl": ..., "pid": ...} on stdout once listening;
 * stops cleanly (exit 0) on SIGTERM or SIGINT. Request logs (--log) go to stderr.
 */
import { parseArgs } from 'node:util';
import { createFhirServer } from './server.ts';
import type { FhirServerOptions } from './server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'base-path': { type: 'string' },
    'base-url': { type: 'string' },
    'page-size': { type: 'string' },
    'max-page-size': { type: 'string' },
    'no-validate': { type: 'boolean', default: false },
    log: { type: 'boolean', default: false },
  },
  strict: true,
});

function int(name: string, value: string | undefined): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (!/^\d+$/.test(value)) {
    process.stderr.write(`--${name} must be a non-negative integer\n`);
    process.exit(2);
  }
  return Number(value);
}

const options: FhirServerOptions = { host: values.host, validate: !values['no-validate'] };
const port = int('port', values.port);
const pageSize = int('page-size', values['page-size']);
const maxPageSize = int('max-page-size', values['max-page-size']);
if (port !== undefined) options.port = port;
if (pageSize !== undefined) options.defaultPageSize = pageSize;
if (maxPageSize !== undefined) options.maxPageSize = maxPageSize;
if (values['base-path'] !== undefined) options.basePath = values['base-path'];
if (values['base-url'] !== undefined) options.baseUrl = values['base-url'];
if (values.log) options.log = (line) => process.stderr.write(line + '\n');

const server = await createFhirServer(options);
process.stdout.write(JSON.stringify({ url: server.url, adminUrl: server.adminUrl, pid: process.pid }) + '\n');

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) {
    return;
  }
  stopping = true;
  try {
    await server.close();
    process.exit(0);
  } catch (err) {
    process.stderr.write(`error while stopping on ${signal}: ${String(err)}\n`);
    process.exit(1);
  }
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
