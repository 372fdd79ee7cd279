/** Minimal FHIR Bundle shapes the runner reads. */
export interface FhirResource {
  resourceType: string;
  id?: string;
  meta?: { versionId?: string; lastUpdated?: string };
  [key: string]: unknown;
}

export interface Bundle {
  resourceType: 'Bundle';
  link?: { relation: string; url: string }[];
  entry?: { resource?: FhirResource }[];
}

export function nextLink(bundle: Bundle): string | undefined {
  return bundle.link?.find((l) => l.relation === 'next')?.url;
}

/** The resource without server bookkeeping, so an unchanged record hashes the same. */
export function contentOf(resource: FhirResource): Omit<FhirResource, 'meta'> {
  const { meta: _meta, ...rest } = resource;
  return rest;
}
