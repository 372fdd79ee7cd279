import { z } from 'zod';
import { parseConfig } from '@cr/core';

/**
 * What one benchmark run does, from BENCH_* environment variables. The defaults
 * keep `make bench` bounded (a few thousand records, well under ten minutes).
 */
const count = (fallback: number) => z.coerce.number().int().min(0).max(1_000_000).default(fallback);

export const benchConfigSchema = z.object({
  backlog: z.object({
    /** FHIR Patients and Appointments in source A before the source is switched on. */
    patients: count(2_000),
    appointments: count(1_000),
    /** Agent and voice writes produced at the same moment. */
    agent: count(250),
    voice: count(250),
  }).strict(),
  paced: z.object({
    /** Events per second offered to the pipeline (all kinds together). */
    rate: z.coerce.number().min(1).max(100_000).default(1_000),
    seconds: z.coerce.number().min(0).max(600).default(20),
    /** Shares of the offered rate; the rest are Patients. */
    appointmentShare: z.coerce.number().min(0).max(1).default(0.2),
    agentShare: z.coerce.number().min(0).max(1).default(0.1),
    voiceShare: z.coerce.number().min(0).max(1).default(0.1),
  }).strict(),
  /** Ingest's poll interval for source A, ms. */
  pollIntervalMs: z.coerce.number().int().min(100).default(250),
  /** Longest wait for the pipeline to catch up after a phase. */
  drainTimeoutMs: z.coerce.number().int().min(1_000).default(180_000),
  limits: z.object({
    /** Messages per broker-limit measurement (perf tools and raw kafkajs). */
    messages: count(200_000),
    skip: z.enum(['0', '1', 'true', 'false']).default('0').transform((v) => v === '1' || v === 'true'),
  }).strict(),
  /** Directory for `<timestamp>.json` and `<timestamp>.txt`. */
  resultsDir: z.string().min(1),
  /**
   * The sink's rate limit for the run (SINK_WRITES_PER_SECOND; the sink's own default is
   * 10 writes/s, a polite rate for a real EHR): high, so the benchmark measures the pipeline.
   */
  sinkWritesPerSecond: z.coerce.number().positive().max(10_000).default(1_000),
  /** Extra NODE_OPTIONS for the services only; by default what the Dockerfile sets (`--max-semi-space-size=4`). */
  serviceNodeOptions: z.string().regex(/^[-\w=.,/ ]*$/, 'node flags only').default('--max-semi-space-size=4'),
  /** Keep the run's topics, subjects and schema (for inspection). */
  keepData: z.enum(['0', '1', 'true', 'false']).default('0').transform((v) => v === '1' || v === 'true'),
}).strict().refine((c) => c.paced.appointmentShare + c.paced.agentShare + c.paced.voiceShare <= 1, {
  message: 'appointment, agent and voice shares add up to more than 1', path: ['paced'],
});

export type BenchConfig = z.infer<typeof benchConfigSchema>;

export function benchConfig(env: NodeJS.ProcessEnv, defaultResultsDir: string): BenchConfig {
  return parseConfig(benchConfigSchema, {
    backlog: { patients: env.BENCH_PATIENTS, appointments: env.BENCH_APPOINTMENTS, agent: env.BENCH_AGENT, voice: env.BENCH_VOICE },
    paced: {
      rate: env.BENCH_RATE, seconds: env.BENCH_PACED_SECONDS,
      appointmentShare: env.BENCH_APPOINTMENT_SHARE, agentShare: env.BENCH_AGENT_SHARE, voiceShare: env.BENCH_VOICE_SHARE,
    },
    pollIntervalMs: env.BENCH_POLL_INTERVAL_MS,
    drainTimeoutMs: env.BENCH_DRAIN_TIMEOUT_MS,
    limits: { messages: env.BENCH_LIMIT_MESSAGES, skip: env.BENCH_SKIP_LIMITS },
    resultsDir: env.BENCH_RESULTS_DIR ?? defaultResultsDir,
    serviceNodeOptions: env.BENCH_SERVICE_NODE_OPTIONS,
    sinkWritesPerSecond: env.BENCH_SINK_WRITES_PER_SECOND,
    keepData: env.KEEP_TEST_DATA,
  }, 'benchmark configuration');
}
