export * from './db.ts';
export * from './service.ts';
