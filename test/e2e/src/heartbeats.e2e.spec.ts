/**
 * Heartbeats: a real review process publishes one Heartbeat per loop on
 * pipeline.heartbeats.v1 (its two consumer groups and its own review loop):
 * `starting` before it is ready, then `running` / `idle` on every interval, and
 * one last `stopping` beat when it is sent SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS } from '@cr/kafka';
import { provision } from '../../../scripts/provision.ts';
import { endRun, eventually, newRun, ServiceProcess, type TestRun } from './index.ts';

/** schemas/Heartbeat.avsc */
interface Heartbeat { instanceId: string; service: string; loop: string; state: string; at: number }

let run: TestRun;
let review: ServiceProcess;
const INSTANCE = 'hb-review-1';

const beatsOf = async (loop?: string): Promise<{ key: string | null; value: Heartbeat }[]> =>
  (await run.kafka.readAll<Heartbeat>(TOPICS.heartbeats, { timeoutMs: 5_000 }))
    .filter((r) => !loop || r.value.loop === loop)
    .map((r) => ({ key: r.key, value: r.value }));

beforeAll(async () => {
  run = newRun('heartbeats');
  await provision(run.env);
  review = new ServiceProcess('review', ['services/review/src/main.ts'], { ...run.env, HEARTBEAT_INTERVAL_MS: '500', INSTANCE_ID: INSTANCE }, run.logDir);
  await review.start();
  await review.ready();
}, 120_000);

afterAll(async () => {
  await endRun(run, [review]);
});

describe('heartbeats of a real service process', () => {
  it('beats starting, then running for each consumer loop and idle for its quiet review loop, every interval', async () => {
    const beats = await eventually('three running beats of the review group', async () => {
      const all = await beatsOf();
      return all.filter((b) => b.value.loop === 'review' && b.value.state === 'running').length >= 3 ? all : undefined;
    }, 30_000, 500);
    expect(new Set(beats.map((b) => b.value.loop))).toEqual(new Set(['review', 'review-decisions', 'review-rounds']));
    for (const b of beats) {
      expect(b.key).toBe(`review/${INSTANCE}/${b.value.loop}`);
      expect(b.value).toMatchObject({ service: 'review', instanceId: INSTANCE });
    }
    const review = beats.filter((b) => b.value.loop === 'review');
    // Before ready: starting; after: running, never starting again.
    expect(review[0]?.value.state).toBe('starting');
    const firstRunning = review.findIndex((b) => b.value.state === 'running');
    expect(review.slice(firstRunning).every((b) => b.value.state === 'running')).toBe(true);
    // Periodic: a beat at least every interval (500 ms, plus send time), not a burst.
    const times = review.slice(firstRunning).map((b) => Number(b.value.at));
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeLessThan(1_500);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(400 * (times.length - 2));
    expect(Math.abs(Number(review.at(-1)!.value.at) - Date.now())).toBeLessThan(10_000);
    // Nothing to review: the review loop says it is idle.
    expect((await beatsOf('review-rounds')).at(-1)?.value.state).toBe('idle');
  }, 60_000);

  it('sends one last stopping beat per loop on SIGTERM, and nothing after', async () => {
    expect(await review.kill('SIGTERM')).toBe(0);
    const beats = await beatsOf();
    for (const loop of ['review', 'review-decisions', 'review-rounds']) {
      const mine = beats.filter((b) => b.value.loop === loop);
      expect(mine.at(-1)?.value.state, loop).toBe('stopping');
      expect(mine.filter((b) => b.value.state === 'stopping'), loop).toHaveLength(1);
    }
  }, 60_000);
});
