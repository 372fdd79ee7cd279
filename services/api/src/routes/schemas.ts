import { z } from 'zod';

/** Small zod pieces shared by the routes. Every object schema is strict: unknown fields are refused. */
export const entityTypeSchema = z.string().regex(/^[A-Z][A-Za-z0-9]{0,63}$/, 'an entity type such as Patient');
export const entityIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'an entity id');
export const fieldPathSchema = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/, 'a field path such as insurance.memberId');
export const limitSchema = z.coerce.number().int().min(1).max(500).default(50);
export const identifierSchema = z.object({ system: z.string().min(1).max(500), value: z.string().min(1).max(500) }).strict();
