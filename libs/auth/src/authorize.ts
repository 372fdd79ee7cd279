import { AuthFailure } from './errors.ts';
import type { Principal, Role } from './roles.ts';

/** Throws a 403 AuthFailure unless the principal holds one of the allowed roles. */
export function requireRole(principal: Principal, allowed: readonly Role[]): void {
  if (!principal.roles.some((r) => allowed.includes(r))) {
    throw new AuthFailure(403, `requires one of the roles: ${allowed.join(', ')}`);
  }
}
