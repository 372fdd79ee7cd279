/**
 * Why a request was refused. 401: no usable token (missing, malformed, bad
 * signature, expired, wrong issuer or audience). 403: a valid token whose roles
 * do not include one the route allows. Messages never echo the token.
 */
export class AuthFailure extends Error {
  readonly status: 401 | 403;
  readonly code: 'unauthenticated' | 'forbidden';
  constructor(status: 401 | 403, message: string) {
    super(message);
    this.name = 'AuthFailure';
    this.status = status;
    this.code = status === 401 ? 'unauthenticated' : 'forbidden';
  }
}
