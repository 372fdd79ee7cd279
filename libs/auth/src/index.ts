export * from './roles.ts';
export * from './errors.ts';
export * from './authorize.ts';
export * from './config.ts';
export * from './verifier.ts';
