export * from './token-provider.ts';
export * from './token-request.ts';
export * from './smart-backend.ts';
export * from './client-credentials.ts';
