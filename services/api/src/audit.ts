import { migrate, type Db } from '@cr/runtime';
import type { Logger } from '@cr/core';
import type { Audit } from './router.ts';

/**
 * The audit trail of mutating requests: who (token subject and roles), what
 * (action and path parameters: ids only, never bodies), when, and the status.
 */
export async function createAudit(db: Db, logger: Logger): Promise<Audit> {
  await migrate(db, 'api-audit', async (trx) => {
    if (!(await trx.schema.hasTable('api_audit'))) {
      await trx.schema.createTable('api_audit', (t) => {
        t.bigIncrements('id');
        t.timestamp('at', { useTz: true }).notNullable().defaultTo(trx.fn.now());
        t.text('subject').notNullable().index();
        t.jsonb('roles').notNullable();
        t.text('action').notNullable();
        t.jsonb('target').notNullable();
        t.integer('status').notNullable();
      });
    }
  });
  const log = logger.child({ component: 'audit' });
  return {
    async record({ principal, route, params, status, detail }) {
      if (!principal || !route.audit) return;
      const target = { ...params, ...detail };
      log.info({ subject: principal.subject, roles: principal.roles, action: route.audit, target, status }, 'api.audit');
      await db('api_audit').insert({ subject: principal.subject, roles: JSON.stringify(principal.roles), action: route.audit, target: JSON.stringify(target), status });
    },
  };
}
