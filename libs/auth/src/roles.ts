/** The api's roles. A token carries them in its `roles` claim (configurable). */
export const ROLES = ['agent', 'operator', 'admin', 'readonly'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Who made a request: the token's subject and its known roles (unknown role names are dropped). */
export interface Principal {
  subject: string;
  roles: readonly Role[];
}
