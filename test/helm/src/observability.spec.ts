/**
 * The Grafana dashboard and the Prometheus alert rules: they parse, they show and
 * alert on what an operator needs, and every metric they query is exported by the
 * services today or listed as planned in planned-metrics.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { repoRoot } from './helm.ts';
import {
  checkQueries, classify, defaultMetricNames, exportedCrMetricNames, parsePromql, promqlMetricNames, scanCrMetricNames, type MetricCatalog,
} from './metric-names.ts';
import { PLANNED_METRIC_NAMES, PLANNED_METRICS } from './planned-metrics.ts';

interface Target { expr?: string; datasource?: { uid?: string } }
interface Panel { id: number; type: string; title: string; description?: string; gridPos: { x: number; y: number; w: number; h: number }; targets?: Target[]; panels?: Panel[]; datasource?: { uid?: string } }
interface Dashboard { uid: string; title: string; panels: Panel[]; templating: { list: { name: string; type: string; query?: string | { query: string } }[] } }
interface Rule { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
interface RuleFile { groups: { name: string; rules: Rule[] }[] }

const dashboardPath = join(repoRoot, 'deploy', 'grafana', 'connector-runner.json');
const alertsPath = join(repoRoot, 'deploy', 'prometheus', 'alerts.yaml');

const dashboard = JSON.parse(readFileSync(dashboardPath, 'utf8')) as Dashboard;
const ruleFile = parseYaml(readFileSync(alertsPath, 'utf8'), { uniqueKeys: true }) as RuleFile;
const rules = ruleFile.groups.flatMap((g) => g.rules);

const allPanels = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
const panels = allPanels(dashboard.panels).filter((p) => p.type !== 'row');
const panelExprs = (p: Panel): string[] => (p.targets ?? []).map((t) => t.expr ?? '').filter(Boolean);
const templatingExprs = dashboard.templating.list
  .filter((v) => v.type === 'query')
  .map((v) => (typeof v.query === 'string' ? v.query : v.query?.query ?? ''));
const dashboardExprs = [...panels.flatMap(panelExprs), ...templatingExprs];
const alertExprs = rules.map((r) => r.expr);
const byTitle = (re: RegExp): Panel => {
  const found = panels.filter((p) => re.test(p.title));
  expect(found, `one panel titled ${re}`).toHaveLength(1);
  return found[0]!;
};
/** Whitespace-insensitive form of a query, for "uses this" assertions. */
const squash = (s: string): string => s.replace(/\s+/g, '');

let catalog: MetricCatalog;

beforeAll(async () => {
  const exported = new Set([...exportedCrMetricNames(repoRoot), ...(await defaultMetricNames())]);
  catalog = { exported, planned: PLANNED_METRIC_NAMES };
});

describe('the metric-name checker', () => {
  it('reads metric names from PromQL, not functions, labels or variables', () => {
    expect(promqlMetricNames('sum by (stage) (rate(cr_messages_consumed_total{stage=~"$stage"}[$__rate_interval]))')).toEqual(['cr_messages_consumed_total']);
    expect(promqlMetricNames('histogram_quantile(0.99, sum by (le) (rate(a_bucket[5m]))) / on(x) group_left b offset 5m')).toEqual(['a_bucket', 'b']);
    expect(promqlMetricNames('{__name__="cr_x_total", job="j"}')).toEqual(['cr_x_total']);
    expect(promqlMetricNames('time() - max(vector(1))')).toEqual([]);
    expect(promqlMetricNames('label_values(cr_messages_consumed_total{namespace=~"$namespace"}, stage)')).toEqual(['cr_messages_consumed_total']);
    expect(promqlMetricNames('label_values(namespace)')).toEqual([]);
    expect(parsePromql('sum(rate(cr_messages_consumed_total[5m])').errors).not.toEqual([]);
  });

  it('finds cr_* metric names in string literals, not in comments', () => {
    const source = "// cr_in_a_comment_total\n/* 'cr_block_total' */\nconst a = 'cr_real_total'; const url = 'http://x'; const b = \"cr_other_seconds\";";
    expect(scanCrMetricNames(source).sort()).toEqual(['cr_other_seconds', 'cr_real_total']);
  });

  it('knows what the services export: the kafka library metrics and prom-client defaults', () => {
    for (const name of ['cr_messages_consumed_total', 'cr_messages_produced_total', 'cr_dead_letters_total', 'cr_handle_duration_seconds', 'cr_handle_retries_total', 'process_cpu_seconds_total', 'nodejs_eventloop_lag_p99_seconds']) {
      expect(catalog.exported.has(name), name).toBe(true);
    }
    expect(classify('cr_handle_duration_seconds_bucket', catalog)).toBe('exported');
    expect(classify('cr_consumer_lag', catalog)).toBe('exported');
    expect(classify('cr_circuit_breaker_open', catalog)).toBe('exported');
    expect(classify('cr_pipeline_latency_seconds_bucket', catalog)).toBe('exported');
    expect(classify('up', catalog)).toBe('prometheus');
  });

  it('rejects names nothing exports', () => {
    expect(classify('cr_bogus_total', catalog)).toBeUndefined();
    expect(classify('nodejs_bogus_bytes', catalog)).toBeUndefined();
    expect(classify('cr_messages_consumed_total_bucket', catalog)).toBeUndefined(); // a counter has no buckets
    expect(checkQueries(['sum(rate(cr_messages_consumed_total[5m])) / sum(rate(cr_bogus_total[5m]))'], catalog))
      .toEqual([{ expr: 'sum(rate(cr_messages_consumed_total[5m])) / sum(rate(cr_bogus_total[5m]))', problem: 'unknown metric cr_bogus_total' }]);
    expect(checkQueries(['rate(cr_messages_consumed_total[5m]'], catalog)[0]?.problem).toMatch(/^syntax error/);
  });

  it('catches a bogus metric slipped into the real dashboard', () => {
    const tampered = dashboardExprs.map((e, i) => (i === 0 ? e.replace('cr_messages_consumed_total', 'cr_messages_consumd_total') : e));
    expect(tampered[0]).not.toBe(dashboardExprs[0]);
    expect(checkQueries(tampered, catalog).map((p) => p.problem)).toEqual(['unknown metric cr_messages_consumd_total']);
  });
});

describe('planned metrics', () => {
  it('are listed once each, and none is exported yet (once it is, remove it from planned-metrics.ts)', () => {
    expect(PLANNED_METRIC_NAMES.size).toBe(PLANNED_METRICS.length);
    for (const m of PLANNED_METRICS) {
      expect(m.name).toMatch(/^cr_[a-z0-9_]+$/);
      expect(catalog.exported.has(m.name), `${m.name} is exported now: remove it from planned-metrics.ts`).toBe(false);
    }
  });

  it('are each used by the dashboard or the alerts (else they do not belong in the list)', () => {
    const used = new Set([...dashboardExprs, ...alertExprs].flatMap(promqlMetricNames));
    for (const name of PLANNED_METRIC_NAMES) expect(used.has(name), name).toBe(true);
  });
});

describe('Grafana dashboard deploy/grafana/connector-runner.json', () => {
  it('parses, has a uid, and every panel queries through the datasource variable', () => {
    expect(dashboard.uid).toBe('connector-runner');
    expect(panels.length).toBeGreaterThan(10);
    const ids = allPanels(dashboard.panels).map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) {
      expect(panelExprs(p).length, p.title).toBeGreaterThan(0);
      expect(p.description, p.title).toBeTruthy();
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
    }
  });

  it('lays panels out on the 24-column grid without overlaps', () => {
    const all = allPanels(dashboard.panels);
    for (const p of all) expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    for (const [i, a] of all.entries()) {
      for (const b of all.slice(i + 1)) {
        const overlap = a.gridPos.x < b.gridPos.x + b.gridPos.w && b.gridPos.x < a.gridPos.x + a.gridPos.w &&
          a.gridPos.y < b.gridPos.y + b.gridPos.h && b.gridPos.y < a.gridPos.y + a.gridPos.h;
        expect(overlap, `${a.title} overlaps ${b.title}`).toBe(false);
      }
    }
  });

  it('has the panels an operator looks for', () => {
    const q = (re: RegExp): string => squash(panelExprs(byTitle(re)).join('\n'));
    expect(q(/lag per sink/i)).toMatch(/sumby\(group\)\(cr_consumer_lag\{.*group=~".*sink-.*"/);
    expect(q(/lag by group and topic/i)).toContain('sumby(group,topic)(cr_consumer_lag');
    expect(q(/consumed per stage/i)).toMatch(/sumby\(stage\)\(rate\(cr_messages_consumed_total\{[^}]*\}\[5m\]\)\)/);
    expect(q(/dead letters per stage/i)).toMatch(/sumby\(stage\)\(rate\(cr_dead_letters_total/);
    const latency = q(/handle latency/i);
    for (const quantile of ['0.5', '0.95', '0.99']) expect(latency).toContain(`histogram_quantile(${quantile},sumby(stage,le)(rate(cr_handle_duration_seconds_bucket`);
    for (const [title, metric] of [[/^stage latency/i, 'cr_stage_latency_seconds'], [/^end-to-end latency/i, 'cr_pipeline_latency_seconds']] as const) {
      for (const quantile of ['0.5', '0.95', '0.99']) expect(q(title)).toContain(`histogram_quantile(${quantile},sumby(stage,le)(rate(${metric}_bucket`);
    }
    expect(q(/source freshness/i)).toContain('time()-maxby(data_source)(cr_source_last_ingest_timestamp_seconds');
    expect(q(/last successful poll/i)).toContain('time()-maxby(data_source)(cr_source_last_success_timestamp_seconds');
    expect(q(/^circuit breakers$/i)).toContain('cr_circuit_breaker_open');
  });

  it('queries only metrics that are exported or planned, in valid PromQL', () => {
    expect(checkQueries(dashboardExprs, catalog)).toEqual([]);
  });
});

describe('Prometheus alerts deploy/prometheus/alerts.yaml', () => {
  it('parses as a rule file; every alert has a severity, a summary and a what-to-do description', () => {
    expect(rules.length).toBeGreaterThanOrEqual(4);
    const names = rules.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const r of rules) {
      expect(r.alert, JSON.stringify(r)).toMatch(/^ConnectorRunner[A-Z]\w+$/);
      expect(r.for, r.alert).toMatch(/^\d+[smh]$/);
      expect(['info', 'warning', 'critical']).toContain(r.labels?.severity);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(r.annotations?.description, r.alert).toMatch(/What to do:/);
      expect(r.annotations!.description!.length, r.alert).toBeGreaterThan(150);
    }
  });

  it('alerts on growing lag, quiet sources, open circuit breakers and rising dead letters', () => {
    const exprOf = (name: string): string => squash(rules.find((r) => r.alert === name)?.expr ?? '');
    expect(exprOf('ConnectorRunnerConsumerLagGrowing')).toMatch(/delta\(cr_consumer_lag\[\d+m\]\)\)>0/);
    expect(exprOf('ConnectorRunnerSourceQuiet')).toMatch(/^time\(\)-maxby\([^)]*data_source\)\(cr_source_last_ingest_timestamp_seconds\)>\d+/);
    expect(exprOf('ConnectorRunnerCircuitBreakerOpen')).toContain('(cr_circuit_breaker_open)>0');
    expect(exprOf('ConnectorRunnerDeadLettersRising')).toMatch(/increase\(cr_dead_letters_total\[\d+m\]\)\)>0/);
  });

  it('queries only metrics that are exported or planned, in valid PromQL', () => {
    expect(checkQueries(alertExprs, catalog)).toEqual([]);
  });
});
