import { ServiceProcess, eventually, freePort } from './processes.ts';

interface Bundle { entry?: { resource: Record<string, unknown> }[]; link?: { relation: string; url: string }[] }

/** A test FHIR server running as its own process. */
export class FhirPeer {
  readonly proc: ServiceProcess;
  port = 0;
  constructor(name: string, logDir: string) {
    this.proc = new ServiceProcess(name, [], process.env, logDir);
  }
  get url(): string { return `http://127.0.0.1:${this.port}/fhir/R4`; }
  get adminUrl(): string { return `http://127.0.0.1:${this.port}/$admin`; }

  async start(): Promise<void> {
    this.port = await freePort();
    this.proc.args = ['test/fhir-server/src/main.ts', '--port', String(this.port)];
    await this.proc.start();
    await eventually(`${this.proc.name} listening`, async () => ((await fetch(`${this.url}/metadata`)).ok ? true : undefined), 30_000);
  }

  async faults(spec: Record<string, unknown> | null): Promise<void> {
    const r = await fetch(`${this.adminUrl}/faults`, spec ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) } : { method: 'DELETE' });
    if (!r.ok) throw new Error(`faults: ${r.status}`);
  }

  async create(resource: Record<string, unknown>): Promise<Record<string, unknown>> {
    const r = await fetch(`${this.url}/${String(resource.resourceType)}`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(resource) });
    if (r.status !== 201) throw new Error(`create ${String(resource.resourceType)}: ${r.status}`);
    return (await r.json()) as Record<string, unknown>;
  }

  /** Every resource of a type, following next links. */
  async all(resourceType: string): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let url: string | undefined = `${this.url}/${resourceType}?_count=100`;
    while (url) {
      const r = await fetch(url, { headers: { accept: 'application/fhir+json' } });
      if (!r.ok) throw new Error(`search ${resourceType}: ${r.status}`);
      const b = (await r.json()) as Bundle;
      out.push(...(b.entry ?? []).map((e) => e.resource));
      url = b.link?.find((l) => l.relation === 'next')?.url;
    }
    return out;
  }
}

export function syntheticPatient(i: number): Record<string, unknown> {
  const given = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'John'][i % 8]!;
  return {
    resourceType: 'Patient',
    identifier: [{ system: 'urn:oid:2.16.840.1.113883.19.5', value: `MRN-${String(i).padStart(6, '0')}` }],
    name: [{ family: `Family${i}`, given: [given] }],
    birthDate: `19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10}`,
    gender: i % 2 ? 'female' : 'male',
    telecom: [{ system: 'phone', value: `(555) ${String(100 + (i % 900))}-${String(1000 + i).slice(-4)}` }],
  };
}
