/** Shared helpers for this package's specs (plain fetch over loopback). */
import type { Resource } from '@medplum/fhirtypes';

export interface FhirResult<T = Resource> {
  status: number;
  headers: Headers;
  body: T;
}

export async function call<T = Resource>(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<FhirResult<T>> {
  const headers: Record<string, string> = { accept: 'application/fhir+json', ...init.headers };
  if (init.body !== undefined) {
    headers['content-type'] ??= 'application/fhir+json';
  }
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
}
