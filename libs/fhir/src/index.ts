export * from './http.ts';
export * from './bundle.ts';
