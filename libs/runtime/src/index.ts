export * from './db.ts';
export * from './service.ts';
export * from './heartbeats.ts';
