export { createFhirServer, ADMIN_PATH } from './server.ts';
export type { FhirServer, FhirServerOptions, ServerStats, RequestStats } from './server.ts';
export { FaultControl, FaultConfigError, validateFaultConfig } from './faults.ts';
export type { FaultConfig, FaultsFired } from './faults.ts';
export { TestRepository } from './repository.ts';
export type { DroppedWrite, HistoryRecord } from './repository.ts';
export { loadFhirDefinitions } from './definitions.ts';
export { loadBundle, makePatients, searchAll, seedPatients, setFaults, clearFaults, getStats, adminCount } from './client.ts';
