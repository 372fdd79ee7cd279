export * from './http.ts';
export * from './bundle.ts';
export * from './auth/index.ts';
export * from './http-text.ts';
