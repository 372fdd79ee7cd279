import { crmAsRest } from '@cr/world-model';
import type { ConnectorFactory } from '../../connector.ts';
import { restPollConnector } from '../rest/index.ts';

/** Contacts, companies and deals: a REST source with one incremental endpoint per object type. */
export const crmConnector: ConnectorFactory<'crm'> = (ctx) => restPollConnector(ctx, crmAsRest(ctx.source.config));
