export * from './processes.ts';
export * from './fhir.ts';
export * from './env.ts';
