import type { HttpError } from '../http.ts';

export interface OperationOutcome {
  resourceType: 'OperationOutcome';
  issue: { severity: 'fatal' | 'error' | 'warning' | 'information'; code: string; diagnostics?: string; expression?: string[] }[];
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'invalid', 401: 'login', 403: 'forbidden', 404: 'not-found', 405: 'not-supported', 409: 'conflict',
  412: 'conflict', 413: 'too-costly', 422: 'processing', 503: 'transient',
};

/** An HttpError as a FHIR OperationOutcome: one issue, plus one per validation detail (with its path). */
export function outcomeOf(error: HttpError): OperationOutcome {
  const code = CODE_BY_STATUS[error.status] ?? 'exception';
  const issue: OperationOutcome['issue'] = [{ severity: 'error', code, diagnostics: error.message }];
  for (const d of error.details ?? []) {
    const [path, ...rest] = d.split(': ');
    issue.push({ severity: 'error', code, diagnostics: rest.join(': ') || d, ...(rest.length && path !== '(root)' ? { expression: [path!] } : {}) });
  }
  return { resourceType: 'OperationOutcome', issue };
}

/** An informational outcome, e.g. for an accepted (asynchronous) write. */
export function informational(diagnostics: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational', diagnostics }] };
}

export const FHIR_JSON = 'application/fhir+json';
