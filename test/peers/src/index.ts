export * from './webhook-sender.ts';
export * from './token-endpoint.ts';
export * from './smart-gateway.ts';
export * from './rest-api.ts';
export * from './bulk-export.ts';
export * from './agent-engine.ts';
