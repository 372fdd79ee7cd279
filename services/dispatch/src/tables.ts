import { migrate, type Db } from '@cr/runtime';

/**
 * The dispatch service's own tables; nothing else reads them. Times are epoch
 * milliseconds (bigint). All of it but the outbox and the cooldowns is rebuilt
 * from `entity.state` (tasks included: every change to a task is an event).
 *   dispatch_entities  patients, appointments and rule anchors, from entity.state
 *   dispatch_tasks     every outbound task: its state, and the columns the loops query
 *   dispatch_attempts  one row per attempt (unique per task and attempt number)
 *   dispatch_outbox    events written with the change that caused them, sent to Kafka after commit
 *   dispatch_gap_scans when each entity was last surfaced, per workspace (the cooldown)
 *   dispatch_campaigns campaigns whose existing cohort has been swept once
 */
export async function migrateDispatch(db: Db): Promise<void> {
  await migrate(db, 'dispatch', async (trx) => {
    await trx.raw(`
      create table if not exists dispatch_entities (
        entity_id text primary key,
        entity_type text not null,
        version bigint not null,
        fields jsonb not null,
        data_sources text[] not null default '{}',
        ref_keys text[] not null default '{}',
        patient_keys text[] not null default '{}',
        patient_entity text,
        starts_at bigint,
        status text,
        deleted boolean not null default false
      );
      create index if not exists dispatch_entities_type on dispatch_entities (entity_type);
      create index if not exists dispatch_entities_refs on dispatch_entities using gin (ref_keys);
      create index if not exists dispatch_entities_patient_keys on dispatch_entities using gin (patient_keys);
      create index if not exists dispatch_entities_patient_entity on dispatch_entities (patient_entity);
      create table if not exists dispatch_tasks (
        task_id text primary key,
        workspace_id text not null,
        status text not null,
        priority integer not null,
        next_attempt_at bigint,
        claim_expires_at bigint,
        claimed_by text,
        next_check_at bigint,
        created_by text not null,
        patient text,
        subject text,
        revision integer not null,
        entity_id text,
        state jsonb not null
      );
      create index if not exists dispatch_tasks_due on dispatch_tasks (status, next_attempt_at);
      create index if not exists dispatch_tasks_created_by on dispatch_tasks (created_by, patient);
      create table if not exists dispatch_attempts (
        attempt_id text primary key,
        task_id text not null,
        attempt integer not null,
        instance_id text not null,
        claimed_at bigint not null,
        result text,
        interaction_id text,
        error text,
        finished_at bigint,
        unique (task_id, attempt)
      );
      create table if not exists dispatch_outbox (
        seq bigserial primary key,
        topic text not null,
        key text not null,
        value jsonb not null
      );
      create table if not exists dispatch_gap_scans (
        workspace_id text not null,
        entity_id text not null,
        surfaced_at bigint not null,
        primary key (workspace_id, entity_id)
      );
      create table if not exists dispatch_campaigns (
        workspace_id text not null,
        campaign_id text not null,
        swept_at bigint not null,
        primary key (workspace_id, campaign_id)
      );
    `);
  });
}
