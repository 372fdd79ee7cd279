import { ConfigError, type SecretStore } from '@cr/core';

/** Resolves a secret reference at planning time; a refusal names the config field. */
export async function secretAt(secrets: SecretStore, path: string, ref: string): Promise<string> {
  try {
    return await secrets.get(ref);
  } catch (error) {
    throw new ConfigError(`${path}: ${(error as Error).message}`);
  }
}
