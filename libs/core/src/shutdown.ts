import type { Logger } from 'pino';

/**
 * Runs `stop` once on SIGTERM/SIGINT: the service finishes its in-flight batch,
 * commits and disconnects inside `stop`. A second signal or the deadline exits hard.
 */
export function onShutdown(logger: Logger, stop: () => Promise<void>, deadlineMs = 30_000): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'shutdown.begin');
    const timer = setTimeout(() => {
      logger.error({ deadlineMs }, 'shutdown.deadline');
      process.exit(1);
    }, deadlineMs);
    timer.unref();
    stop().then(
      () => { logger.info('shutdown.done'); process.exit(0); },
      (error: unknown) => { logger.error({ err: error }, 'shutdown.failed'); process.exit(1); },
    );
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}
