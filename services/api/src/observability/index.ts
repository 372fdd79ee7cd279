export { startPipelineObservability, OBSERVABILITY_GROUP, heartbeatGroup, type ObservabilitySettings, type PipelineObservability } from './start.ts';
export type { PipelineView } from './view.ts';
export { BUCKET_MS, type Bucket } from './series.ts';
