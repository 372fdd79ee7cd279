import { z } from 'zod';

/** Small zod pieces shared by the dispatch configuration. */
export const configIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, _ and -, at most 64');
export const entityTypeNameSchema = z.string().regex(/^[A-Z][A-Za-z0-9]{0,63}$/, 'an entity type such as Appointment');
export const fieldNameSchema = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/, 'a field path such as insurance.memberId');
export const purposeSchema = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'lower-case words joined by _, e.g. appointment_reminder');
export const channelSchema = z.enum(['voice', 'text']);
export const prioritySchema = z.number().int().min(0).max(100);

/** An entity as the planners see it: plain field values, and the data sources it was read from. */
export interface EntityView {
  entityId: string;
  entityType: string;
  fields: Readonly<Record<string, unknown>>;
  dataSources: readonly string[];
  deleted: boolean;
}
