import type { RestConfig } from '@cr/world-model';
import type { Connector, ConnectorContext, ConnectorFactory } from '../../connector.ts';
import { startTaskLoops, taskLoopOptions, type PollTask, type TaskLoops } from '../../schedule/task-loop.ts';
import { createAuthorizer } from './auth.ts';
import { restCycle } from './poll-cycle.ts';

/** Polls REST endpoints: one loop per endpoint and parameter set, each on the endpoint's cadence. Shared by crm. */
export async function restPollConnector(ctx: ConnectorContext, config: RestConfig): Promise<Connector> {
  const authorizer = await createAuthorizer(config.auth, { secrets: ctx.secrets, ssrfAllow: ctx.settings.ssrfAllow, timeoutMs: config.timeoutMs });
  const tasks: PollTask[] = config.endpoints.flatMap((endpoint) => endpoint.partitions.map((partition) => {
    const label = Object.keys(partition).length ? new URLSearchParams(Object.entries(partition).sort()).toString() : 'all';
    return {
      resourceType: label === 'all' ? endpoint.resourceType : `${endpoint.resourceType}?${label}`,
      intervalMs: endpoint.intervalMs,
      run: (signal: AbortSignal) => restCycle(ctx, { config, endpoint, partition, label, authorizer, signal }),
    };
  }));
  let loops: TaskLoops | undefined;
  return {
    async start() { loops = startTaskLoops(tasks, taskLoopOptions(ctx, config.businessHours)); },
    async stop() { await loops?.stop(); },
  };
}

export const restConnector: ConnectorFactory<'rest'> = (ctx) => restPollConnector(ctx, ctx.source.config);
