export * from './errors.ts';
export * from './config.ts';
export * from './logger.ts';
export * from './hash.ts';
export * from './retry.ts';
export * from './ops-server.ts';
export * from './shutdown.ts';
export * from './clock.ts';
