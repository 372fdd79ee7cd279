import { createSecretStore, type SecretStore } from '@cr/core';
import { clientCredentialsAuth, smartBackendAuth, type TokenProvider } from '@cr/fhir';
import type { SinkAuth } from '@cr/world-model';

/**
 * The bearer token provider for a sink's target, or undefined for none. Secrets
 * come from the secret store by reference (SECRETS_DIR for `file:` references).
 */
export async function targetAuth(auth: SinkAuth, baseUrl: string, timeoutMs: number, secrets: SecretStore = createSecretStore({ directory: process.env.SECRETS_DIR })): Promise<TokenProvider | undefined> {
  switch (auth.kind) {
    case 'none':
      return undefined;
    case 'bearer': {
      const token = (await secrets.get(auth.tokenRef)).trim();
      return { token: async () => token, invalidate: () => undefined };
    }
    case 'smart':
      return smartBackendAuth({
        fhirBaseUrl: baseUrl, clientId: auth.clientId, privateKeyPem: await secrets.get(auth.privateKeyRef), keyId: auth.keyId,
        algorithm: auth.algorithm, scopes: auth.scopes, timeoutMs, ...(auth.tokenEndpoint ? { tokenEndpoint: auth.tokenEndpoint } : {}),
      });
    case 'client_credentials':
      return clientCredentialsAuth({ tokenUrl: auth.tokenUrl, clientId: auth.clientId, clientSecret: await secrets.get(auth.clientSecretRef), scopes: auth.scopes, timeoutMs });
  }
}
