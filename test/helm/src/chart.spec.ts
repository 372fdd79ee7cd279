/**
 * The Helm chart as an operator sees it: it lints, and what it renders for the
 * value sets in test/helm/values has the workloads, probes, resources, secrets by
 * reference, budgets, autoscalers and the provisioning hook it promises.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import { helmBin } from './helm-bin.ts';
import { chartDir, helm, ofKind, repoRoot, template, valueArgs, type Manifest } from './helm.ts';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
}
interface Probe { httpGet?: { path: string; port: string | number } }
interface Container {
  name: string;
  image: string;
  command: string[];
  env?: EnvVar[];
  ports?: { name: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}
interface PodTemplate { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: { containers: Container[]; restartPolicy?: string } }
interface DeploymentSpec { replicas?: number; selector: { matchLabels: Record<string, string> }; template: PodTemplate }
interface ServiceSpec { selector: Record<string, string>; ports: { name: string; port: number; targetPort: string | number }[] }
interface ScaledObjectSpec { scaleTargetRef: { name: string }; triggers: { type: string; metadata: Record<string, string> }[] }

/** Non-test TypeScript files under a folder. */
function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))
    .map((f) => join(dir, f));
}

const ALL_SERVICES = ['ingest', 'unification', 'resolution', 'review', 'projection', 'dispatch', 'api'];
const SINK = 'connector-runner/sink';
const COMPONENT = 'app.kubernetes.io/component';

/** Per value set: the non-sink services and the sinks it must deploy. */
const SETS: Record<string, { files: string[]; services: string[]; sinks: string[] }> = {
  default: { files: [], services: ALL_SERVICES, sinks: [] },
  minimal: { files: ['minimal.yaml'], services: ['ingest', 'unification', 'resolution', 'review', 'projection'], sinks: ['ehr-b'] },
  scaled: { files: ['scaled.yaml'], services: ALL_SERVICES, sinks: ['ehr-b', 'crm'] },
  'keda-all': { files: ['keda-all.yaml'], services: ALL_SERVICES, sinks: ['ehr-b', 'crm-x'] },
};

const rendered = new Map<string, Manifest[]>();

beforeAll(async () => {
  await Promise.all(Object.entries(SETS).map(async ([name, set]) => {
    const r = await template(set.files);
    if (r.error) throw new Error(`helm template (${name}) failed: ${r.error}`);
    rendered.set(name, r.manifests);
  }));
});

const manifestsOf = (set: string): Manifest[] => rendered.get(set)!;
const deployments = (set: string): Manifest[] => ofKind(manifestsOf(set), 'Deployment');
const spec = <T>(m: Manifest): T => m.spec as T;
const container = (d: Manifest): Container => spec<DeploymentSpec>(d).template.spec.containers[0]!;
const env = (c: Container, name: string): EnvVar | undefined => c.env?.find((e) => e.name === name);
const workloadKey = (m: Manifest): string => {
  const labels = m.metadata.labels ?? {};
  return labels[SINK] ? `sink-${labels[SINK]}` : labels[COMPONENT] ?? '?';
};
const keysOf = (ms: Manifest[]): string[] => ms.map(workloadKey).sort();
const selects = (selector: Record<string, string>, labels: Record<string, string>): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Every string in a rendered object, with its path. */
function strings(value: unknown, path = ''): [string, string][] {
  if (typeof value === 'string') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => strings(v, `${path}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => strings(v, path ? `${path}.${k}` : k));
  return [];
}

describe('helm binary', () => {
  it('is found (or extracted) idempotently and is helm 3', async () => {
    const a = await helmBin();
    const b = await helmBin();
    expect(b).toBe(a);
    const r = await helm(['version', '--short']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^v3\.\d+\.\d+/);
  });
});

describe('helm lint', () => {
  it.each(Object.entries(SETS))('passes --strict with the %s values', async (_name, set) => {
    const r = await helm(['lint', '--strict', chartDir, ...valueArgs(set.files)]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('0 chart(s) failed');
  });
});

describe.each(Object.keys(SETS))('helm template with the %s values', (set) => {
  const expected = SETS[set]!;
  const expectedKeys = [...expected.services, ...expected.sinks.map((s) => `sink-${s}`)].sort();

  it('renders one Deployment per enabled service and per sink', () => {
    expect(keysOf(deployments(set))).toEqual(expectedKeys);
    const names = deployments(set).map((d) => d.metadata.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('runs every service from the one image as node services/<name>/src/main.ts', () => {
    const images = new Set(deployments(set).map((d) => container(d).image));
    expect(images.size).toBe(1);
    for (const d of deployments(set)) {
      const component = d.metadata.labels![COMPONENT]!;
      expect(spec<DeploymentSpec>(d).template.spec.containers).toHaveLength(1);
      expect(container(d).command).toEqual(['node', `services/${component}/src/main.ts`]);
    }
  });

  it('probes /healthz (liveness) and /readyz (readiness) on the named ops port', () => {
    for (const d of deployments(set)) {
      const c = container(d);
      expect(c.ports?.find((p) => p.name === 'ops')?.containerPort, d.metadata.name).toBe(9464);
      expect(c.livenessProbe?.httpGet, d.metadata.name).toEqual({ path: '/healthz', port: 'ops' });
      expect(c.readinessProbe?.httpGet, d.metadata.name).toEqual({ path: '/readyz', port: 'ops' });
      expect(env(c, 'OPS_PORT')?.value).toBe('9464');
    }
  });

  it('sets resource requests and limits (cpu and memory) on every container', () => {
    for (const m of [...deployments(set), ...ofKind(manifestsOf(set), 'Job')]) {
      const containers = (m.spec as { template: PodTemplate }).template.spec.containers;
      for (const c of containers) {
        for (const kind of ['requests', 'limits'] as const) {
          expect(c.resources?.[kind]?.cpu, `${m.metadata.name} ${kind}.cpu`).toBeTruthy();
          expect(c.resources?.[kind]?.memory, `${m.metadata.name} ${kind}.memory`).toBeTruthy();
        }
      }
    }
  });

  it('gives every service the common configuration, DATABASE_URL only from a Secret', () => {
    for (const d of deployments(set)) {
      const c = container(d);
      const names = (c.env ?? []).map((e) => e.name);
      expect(new Set(names).size, `${d.metadata.name} has duplicate env names`).toBe(names.length);
      for (const name of ['KAFKA_BROKERS', 'REGISTRY_URL', 'TOPIC_PREFIX', 'DATABASE_URL', 'DATABASE_SCHEMA', 'OPS_PORT', 'LOG_LEVEL', 'INSTANCE_ID']) {
        expect(names, d.metadata.name).toContain(name);
      }
      const db = env(c, 'DATABASE_URL')!;
      expect(db.value).toBeUndefined();
      expect(db.valueFrom?.secretKeyRef?.name).toBeTruthy();
      expect(env(c, 'INSTANCE_ID')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
    }
  });

  it('renders no Secret and no secret value: credentials only by secretKeyRef', () => {
    const ms = manifestsOf(set);
    expect(ofKind(ms, 'Secret')).toEqual([]);
    for (const m of ms) {
      for (const [path, value] of strings(m)) {
        expect(value, `${m.kind}/${m.metadata.name} ${path}`).not.toMatch(/postgres(ql)?:\/\//i);
        expect(value, `${m.kind}/${m.metadata.name} ${path}`).not.toMatch(/:\/\/[^/@\s:]+:[^/@\s]+@/);
      }
      const pod = (m.spec as { template?: PodTemplate } | undefined)?.template?.spec;
      for (const c of pod?.containers ?? []) {
        for (const e of c.env ?? []) {
          if (/PASSWORD|SECRET|TOKEN|CREDENTIAL|DATABASE_URL/i.test(e.name)) {
            expect(e.valueFrom?.secretKeyRef, `${m.metadata.name} ${e.name}`).toBeDefined();
          }
        }
      }
    }
  });

  it('gives every workload a Service on the ops port and a disjoint selector', () => {
    const ds = deployments(set);
    const services = ofKind(manifestsOf(set), 'Service');
    expect(keysOf(services)).toEqual(expectedKeys);
    for (const d of ds) {
      const dSpec = spec<DeploymentSpec>(d);
      expect(selects(dSpec.selector.matchLabels, dSpec.template.metadata.labels)).toBe(true);
      const others = ds.filter((o) => o !== d);
      for (const o of others) {
        expect(selects(dSpec.selector.matchLabels, spec<DeploymentSpec>(o).template.metadata.labels), `${d.metadata.name} selects ${o.metadata.name}'s pods`).toBe(false);
      }
      const svc = services.find((s) => s.metadata.name === d.metadata.name)!;
      expect(spec<ServiceSpec>(svc).selector).toEqual(dSpec.selector.matchLabels);
      expect(spec<ServiceSpec>(svc).ports.find((p) => p.name === 'ops')?.targetPort).toBe('ops');
    }
  });

  it('exposes the api HTTP port on the api Deployment and Service', () => {
    const api = deployments(set).find((d) => d.metadata.labels![COMPONENT] === 'api');
    if (!expected.services.includes('api')) return expect(api).toBeUndefined();
    const c = container(api!);
    expect(c.ports?.find((p) => p.name === 'http')?.containerPort).toBe(8080);
    expect(env(c, 'API_PORT')?.value).toBe('8080');
    expect(env(c, 'API_HOST')?.value).toBe('0.0.0.0');
    const svc = ofKind(manifestsOf(set), 'Service').find((s) => s.metadata.name === api!.metadata.name)!;
    expect(spec<ServiceSpec>(svc).ports.map((p) => p.name).sort()).toEqual(['http', 'ops']);
  });

  it('gives each sink its own Deployment, SINK_ID and target', () => {
    const sinks = deployments(set).filter((d) => d.metadata.labels![COMPONENT] === 'sink');
    expect(sinks.map((d) => env(container(d), 'SINK_ID')?.value).sort()).toEqual([...expected.sinks].sort());
    for (const d of sinks) {
      const c = container(d);
      expect(d.metadata.labels![SINK]).toBe(env(c, 'SINK_ID')?.value);
      const target = env(c, 'SINK_FHIR_BASE_URL');
      expect(target?.value ?? target?.valueFrom?.secretKeyRef, d.metadata.name).toBeTruthy();
    }
  });

  it('has a PodDisruptionBudget selecting each workload', () => {
    const pdbs = ofKind(manifestsOf(set), 'PodDisruptionBudget');
    const withoutPdb = set === 'minimal' ? ['sink-ehr-b'] : [];
    expect(keysOf(pdbs)).toEqual(expectedKeys.filter((k) => !withoutPdb.includes(k)));
    for (const p of pdbs) {
      const d = deployments(set).find((x) => x.metadata.name === p.metadata.name)!;
      const pSpec = spec<{ selector: { matchLabels: Record<string, string> }; maxUnavailable?: number; minAvailable?: number }>(p);
      expect(pSpec.selector.matchLabels).toEqual(spec<DeploymentSpec>(d).selector.matchLabels);
      expect(pSpec.maxUnavailable ?? pSpec.minAvailable).toBeDefined();
    }
  });

  it('leaves replicas to the autoscaler where one is enabled', () => {
    const scaled = new Set([...ofKind(manifestsOf(set), 'HorizontalPodAutoscaler'), ...ofKind(manifestsOf(set), 'ScaledObject')].map((m) => m.metadata.name));
    for (const d of deployments(set)) {
      if (scaled.has(d.metadata.name)) expect(spec<DeploymentSpec>(d).replicas, d.metadata.name).toBeUndefined();
      else expect(spec<DeploymentSpec>(d).replicas, d.metadata.name).toBeGreaterThanOrEqual(1);
    }
  });

  it('provisions topics and schemas in a pre-install/pre-upgrade hook Job', () => {
    const jobs = ofKind(manifestsOf(set), 'Job');
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    expect(job.metadata.annotations?.['helm.sh/hook']?.split(',').sort()).toEqual(['pre-install', 'pre-upgrade']);
    expect(job.metadata.annotations?.['helm.sh/hook-delete-policy']).toContain('before-hook-creation');
    const pod = (job.spec as { template: PodTemplate }).template.spec;
    expect(pod.restartPolicy).toBe('Never');
    const c = pod.containers[0]!;
    expect(c.command).toEqual(['node', 'scripts/provision.ts']);
    expect(c.image).toBe(container(deployments(set)[0]!).image);
    for (const name of ['KAFKA_BROKERS', 'REGISTRY_URL', 'TOPIC_PREFIX']) expect(env(c, name), name).toBeDefined();
  });
});

describe('optional resources appear only when enabled', () => {
  const count = (set: string, kind: string): string[] => keysOf(ofKind(manifestsOf(set), kind));

  it('default values: no HPA, no ScaledObject, no ServiceMonitor', () => {
    for (const set of ['default', 'minimal']) {
      expect(count(set, 'HorizontalPodAutoscaler')).toEqual([]);
      expect(count(set, 'ScaledObject')).toEqual([]);
      expect(ofKind(manifestsOf(set), 'ServiceMonitor')).toEqual([]);
    }
  });

  it('scaled values: HPA for the api, KEDA where asked, one ServiceMonitor on the ops port', () => {
    expect(count('scaled', 'HorizontalPodAutoscaler')).toEqual(['api']);
    expect(count('scaled', 'ScaledObject')).toEqual(['projection', 'sink-ehr-b', 'unification']);
    const monitors = ofKind(manifestsOf('scaled'), 'ServiceMonitor');
    expect(monitors).toHaveLength(1);
    const mSpec = monitors[0]!.spec as { endpoints: { port: string; path: string }[]; selector: { matchLabels: Record<string, string> } };
    expect(mSpec.endpoints[0]).toMatchObject({ port: 'ops', path: '/metrics' });
    for (const svc of ofKind(manifestsOf('scaled'), 'Service')) expect(selects(mSpec.selector.matchLabels, svc.metadata.labels ?? {})).toBe(true);
    expect(monitors[0]!.metadata.labels?.release).toBe('prometheus');
  });

  it('scaled values: per-sink settings land on the right sink', () => {
    const byId = (id: string): Container => container(deployments('scaled').find((d) => d.metadata.labels![SINK] === id)!);
    expect(env(byId('ehr-b'), 'SINK_THRESHOLD')?.value).toBe('0.9');
    expect(env(byId('ehr-b'), 'SINK_OWN_DATA_SOURCE_IDS')?.value).toBe('ehr-b-poll');
    expect(env(byId('crm'), 'SINK_ENTITY_TYPES')?.value).toBe('Patient,Appointment');
    expect(env(byId('crm'), 'SINK_FHIR_BASE_URL')?.valueFrom?.secretKeyRef).toEqual({ name: 'cr-crm-target', key: 'base-url' });
    expect(env(byId('crm'), 'SINK_EXTRA')?.value).toBe('1');
    expect(env(byId('crm'), 'NODE_OPTIONS')?.value).toBe('--max-old-space-size=384'); // common extraEnv kept
    expect(env(byId('crm'), 'SINK_THRESHOLD')).toBeUndefined();
    expect(byId('crm').resources?.limits?.memory).toBe('768Mi'); // services.sink defaults
    const crm = deployments('scaled').find((d) => d.metadata.labels![SINK] === 'crm')!;
    expect(spec<DeploymentSpec>(crm).replicas).toBe(2);
    for (const d of deployments('scaled')) expect(env(container(d), 'REGISTRY_URL')?.valueFrom?.secretKeyRef?.name).toBe('cr-registry');
  });

  it('keda-all values: every KEDA trigger names a consumer group and topic the service really uses', () => {
    const prefix = 'prod-';
    const topics = Object.fromEntries([...readFileSync(join(repoRoot, 'libs/kafka/src/catalogue.ts'), 'utf8')
      .matchAll(/^\s+(\w+): '([a-z0-9.-]+\.v\d+)',$/gm)].map((m) => [m[2]!, m[1]!]));
    const sourceOf = (service: string): string => sourceFiles(join(repoRoot, 'services', service, 'src')).map((f) => readFileSync(f, 'utf8')).join('\n');
    const scaledObjects = ofKind(manifestsOf('keda-all'), 'ScaledObject');
    expect(keysOf(scaledObjects)).toEqual(['dispatch', 'projection', 'resolution', 'review', 'sink-crm-x', 'sink-ehr-b', 'unification']);
    for (const so of scaledObjects) {
      const service = so.metadata.labels![COMPONENT]!;
      const sinkId = so.metadata.labels?.[SINK];
      const code = sourceOf(service);
      const triggers = spec<ScaledObjectSpec>(so).triggers;
      expect(spec<ScaledObjectSpec>(so).scaleTargetRef.name).toBe(so.metadata.name);
      for (const t of triggers) {
        expect(t.type).toBe('kafka');
        expect(t.metadata.bootstrapServers).toBe('kafka-bootstrap:9092');
        const group = t.metadata.consumerGroup!.slice(prefix.length);
        const literal = sinkId ? group.replace(sinkId, '${config.id}') : group;
        expect(code.includes(`'${literal}'`) || code.includes(`\`${literal}\``), `${so.metadata.name}: group ${literal} in services/${service}`).toBe(true);
        const key = topics[t.metadata.topic!.slice(prefix.length)];
        expect(key && code.includes(`TOPICS.${key}`), `${so.metadata.name}: topic ${t.metadata.topic} consumed by services/${service}`).toBe(true);
      }
    }
    // common.keda.enabled with explicit `false` overrides for ingest and api
    expect(count('keda-all', 'HorizontalPodAutoscaler')).toEqual([]);
  });
});

describe('values the chart refuses', () => {
  const sink = (i: number, id: string, url = 'http://t.svc/fhir'): string[] => [`sinks[${i}].id=${id}`, `sinks[${i}].fhirBaseUrl=${url}`];
  it.each([
    ['a database URL in values', ['database.url=postgres://u:p@db/x'], /Additional property url is not allowed/],
    ['no database Secret', ['database.existingSecret='], /existingSecret/],
    ['hpa and keda together', ['services.api.hpa.enabled=true', 'services.api.keda.enabled=true'], /hpa and keda are both enabled/],
    ['keda for ingest (no lag to scale on)', ['services.ingest.keda.enabled=true'], /no consumer lag/],
    ['two sinks with one id', [...sink(0, 'a'), ...sink(1, 'a')], /used twice/],
    ['a sink id that is not a SINK_ID', sink(0, 'Bad_Id'), /id/],
    ['a sink without target', ['sinks[0].id=lonely'], /fhirBaseUrl or fhirBaseUrlSecret/],
  ])('refuses %s', async (_what, set, message) => {
    const r = await template([], set);
    expect(r.error, 'rendering should have failed').toBeDefined();
    expect(r.error).toMatch(message);
  });
});

describe('values.yaml and README', () => {
  const valuesText = readFileSync(join(chartDir, 'values.yaml'), 'utf8');
  const doc = parseDocument(valuesText);

  /** Leaf paths of values.yaml (scalars and empty collections) and whether they are documented. */
  function leaves(node: YamlNode | null, path: string[], commented: boolean[]): { path: string; documented: boolean }[] {
    if (isMap(node) && node.items.length) {
      return node.items.flatMap((pair, i) => {
        const key = isScalar(pair.key) ? String(pair.key.value) : '?';
        const keyNode = pair.key as YamlNode;
        // The comment above a map's first key belongs to the map node itself.
        const own = Boolean(keyNode.commentBefore?.trim()) || (i === 0 && Boolean(node.commentBefore?.trim())) ||
          (pair.value !== null && Boolean((pair.value as YamlNode).comment?.trim()));
        return leaves(pair.value as YamlNode | null, [...path, key], [...commented, own]);
      });
    }
    if (isSeq(node) && node.items.length) return leaves(null, path, commented);
    // documented: this key, or its parent or grandparent (objects such as resources).
    return [{ path: path.join('.'), documented: commented.slice(-3).some(Boolean) }];
  }

  it('documents every value with a comment', () => {
    const all = leaves(doc.contents as YamlNode, [], []);
    expect(all.length).toBeGreaterThan(60);
    expect(all.filter((l) => !l.documented).map((l) => l.path)).toEqual([]);
  });

  it('lists every value in the README', () => {
    const readme = readFileSync(join(chartDir, 'README.md'), 'utf8');
    const listed = new Set([...readme.matchAll(/`([a-zA-Z][\w.<>[\]*]*)`/g)].map((m) => m[1]!));
    const generic = (p: string): string[] => {
      const parts = p.split('.');
      const out: string[] = [];
      for (let i = parts.length; i > 0; i--) {
        const prefix = parts.slice(0, i).join('.');
        out.push(prefix, prefix.replace(/^services\.[a-z]+\./, 'services.<name>.'));
      }
      return out;
    };
    const missing = leaves(doc.contents as YamlNode, [], []).map((l) => l.path).filter((p) => !generic(p).some((g) => listed.has(g)));
    expect(missing).toEqual([]);
  });
});
