import { ConfigError } from '@cr/core';
import { loadPrivateKey, smartBackendAuth } from '@cr/fhir';
import type { ConnectorFactory } from '../../connector.ts';
import { fhirPollConnector } from '../fhir-store/index.ts';
import { secretAt } from '../../secrets.ts';

/**
 * A FHIR store behind SMART Backend Services. The private key is read from the
 * secret store here, at planning time: a missing key refuses the configuration.
 */
export const smartFhirConnector: ConnectorFactory<'smart_fhir'> = async (ctx) => {
  const { config } = ctx.source;
  const privateKeyPem = await secretAt(ctx.secrets, 'config.auth.privateKeyRef', config.auth.privateKeyRef);
  await loadPrivateKey(privateKeyPem, config.auth.algorithm).catch((e: Error) => { throw new ConfigError(`config.auth.privateKeyRef: ${e.message}`); });
  const auth = smartBackendAuth({
    fhirBaseUrl: config.baseUrl, clientId: config.auth.clientId, privateKeyPem, keyId: config.auth.keyId,
    algorithm: config.auth.algorithm, scopes: config.auth.scopes, renewBeforeMs: config.auth.renewBeforeMs, timeoutMs: config.timeoutMs,
    ...(config.auth.tokenEndpoint ? { tokenEndpoint: config.auth.tokenEndpoint } : {}), now: ctx.now,
  });
  return fhirPollConnector(ctx, config, auth);
};
