import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from './errors.ts';

/**
 * Secrets are stored outside the event log; `connector.config` carries only a
 * reference: `file:<name>` (a file in the store's folder, mode 0600) or
 * `env:<NAME>` (an environment variable). Values never reach a log or a topic.
 */
export interface SecretStore {
  /** The secret's value; ConfigError when the reference resolves to nothing. */
  get(ref: string): Promise<string>;
  /** Stores `value` under `name` in the file store and returns its reference. */
  put(name: string, value: string): Promise<string>;
}

export interface SecretStoreOptions {
  /** Folder of the file store (SECRETS_DIR); absent: only env references resolve. */
  directory?: string;
  env?: NodeJS.ProcessEnv;
}

const REF = /^(file|env):([A-Za-z0-9._-]{1,128})$/;
const NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

export function createSecretStore(options: SecretStoreOptions = {}): SecretStore {
  const env = options.env ?? process.env;
  return {
    async get(ref) {
      const m = REF.exec(ref);
      if (!m) throw new ConfigError(`not a secret reference: ${ref.slice(0, 8)}...`);
      const [, kind, name] = m as unknown as [string, 'file' | 'env', string];
      if (kind === 'env') {
        const v = env[name];
        if (v === undefined || v === '') throw new ConfigError(`secret ${ref} is not set`);
        return v;
      }
      if (!options.directory || !NAME.test(name)) throw new ConfigError(`secret ${ref} cannot be read: no file store configured`);
      try {
        return await readFile(join(options.directory, name), 'utf8');
      } catch {
        throw new ConfigError(`secret ${ref} not found in the file store`);
      }
    },
    async put(name, value) {
      if (!options.directory) throw new ConfigError('no file secret store configured (SECRETS_DIR)');
      if (!NAME.test(name)) throw new ConfigError('secret name must be letters, digits, ., _ or -');
      await mkdir(options.directory, { recursive: true, mode: 0o700 });
      const path = join(options.directory, name);
      // Write then rename, so a reader never sees half a key.
      await writeFile(`${path}.tmp`, value, { mode: 0o600 });
      await rename(`${path}.tmp`, path);
      return `file:${name}`;
    },
  };
}

/**
 * The set-up step for a SMART client: stores the private key given at set-up and
 * returns the reference to put in the data source's config instead of the key.
 */
export async function storePrivateKey(store: SecretStore, dataSourceId: string, pem: string): Promise<string> {
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) throw new ConfigError('privateKey: not a PEM private key');
  return store.put(`${dataSourceId}-private-key`, pem);
}
