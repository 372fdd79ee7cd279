import { z } from 'zod';

/**
 * Where verification keys come from and what a token must say. Exactly one of
 * `jwksUrl` (fetched and cached, refreshed on an unknown key id) or `jwksFile`
 * (a JWKS JSON file, re-read on an unknown key id).
 */
export const authConfigSchema = z.object({
  jwksUrl: z.url().optional(),
  jwksFile: z.string().min(1).optional(),
  issuer: z.string().min(1).optional(),
  audience: z.string().min(1).optional(),
  rolesClaim: z.string().min(1).default('roles'),
  clockToleranceSec: z.coerce.number().int().min(0).max(300).default(30),
}).strict().refine((c) => Boolean(c.jwksUrl) !== Boolean(c.jwksFile), {
  message: 'set exactly one of jwksUrl (API_JWKS_URL) or jwksFile (API_JWKS_FILE)',
  path: ['jwksUrl'],
});

export type AuthConfig = z.infer<typeof authConfigSchema>;
