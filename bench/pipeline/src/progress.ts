import { setTimeout as sleep } from 'node:timers/promises';
import { TOPICS, type KafkaClient } from '@cr/kafka';
import { GROUPS } from './pipeline.ts';

/** How far the pipeline has got, from offsets only (no record is read). */

const sum = (offsets: readonly { offset: string }[]): number =>
  offsets.reduce((n, o) => n + Math.max(0, Number(o.offset)), 0);

export async function topicCount(kafka: KafkaClient, topic: string): Promise<number> {
  return sum(await kafka.admin.endOffsets(topic));
}

/** Records not yet committed by each group, summed over its topics. */
export async function lags(kafka: KafkaClient): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const { group, topics } of GROUPS) {
    let lag = 0;
    for (const topic of topics) {
      const end = await kafka.admin.endOffsets(topic);
      const committed = new Map((await kafka.admin.committedOffsets(group, topic)).map((c) => [c.partition, Math.max(0, Number(c.offset))]));
      for (const e of end) lag += Math.max(0, Number(e.offset) - (committed.get(e.partition) ?? 0));
    }
    out[group] = lag;
  }
  return out;
}

export interface CatchUp {
  caughtUp: boolean;
  waitedMs: number;
  rawRecords: number;
  lags: Record<string, number>;
}

/**
 * Waits until ingest has emitted `expectedRaw` raw records and no group lags.
 * Gives up after `timeoutMs`, or when nothing has moved for `stallMs`.
 */
export async function waitForCatchUp(kafka: KafkaClient, expectedRaw: number, timeoutMs: number, stallMs = 30_000): Promise<CatchUp> {
  const started = Date.now();
  let lastFingerprint = '';
  let lastMove = Date.now();
  for (;;) {
    const raw = await topicCount(kafka, TOPICS.rawRecords);
    const l = await lags(kafka);
    const caughtUp = raw >= expectedRaw && Object.values(l).every((v) => v === 0);
    if (caughtUp) return { caughtUp, waitedMs: Date.now() - started, rawRecords: raw, lags: l };
    const fingerprint = JSON.stringify([raw, l]);
    if (fingerprint !== lastFingerprint) { lastFingerprint = fingerprint; lastMove = Date.now(); }
    if (Date.now() - started > timeoutMs || Date.now() - lastMove > stallMs) {
      return { caughtUp: false, waitedMs: Date.now() - started, rawRecords: raw, lags: l };
    }
    await sleep(250);
  }
}
