// The shipped alert rules (deploy/prometheus/) under the real promtool: they parse, their unit
// tests pass on synthetic series, a broken rule makes those tests fail, every lagpilot metric they
// use is one lagpilot exports, and the generated PrometheusRule matches them.
import { expect } from 'chai';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { prometheusRuleFile, renderPrometheusRule, rulesFile } from '../../scripts/prometheus-rule.ts';
import { ensurePackageBinaries } from '../env/apt.ts';
import { repoRoot } from '../env/paths.ts';
import { runToCompletion } from '../env/processes.ts';

const testsDir = join(repoRoot, 'deploy', 'prometheus', 'tests');

async function promtool(): Promise<string> {
  const [binary] = await ensurePackageBinaries('prometheus', ['promtool']);
  return binary;
}

interface RuleGroup { name: string; rules: { alert?: string; expr: string; labels?: Record<string, string> }[] }

function ruleGroups(): RuleGroup[] {
  return (parse(readFileSync(rulesFile, 'utf8')) as { groups: RuleGroup[] }).groups;
}

/** Every .ts file under src/, read once: where lagpilot's metric names are defined. */
function sourceText(): string {
  const texts: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) texts.push(readFileSync(path, 'utf8'));
    }
  };
  walk(join(repoRoot, 'src'));
  return texts.join('\n');
}

describe('alert rules (deploy/prometheus) under promtool', function () {
  it('pass `promtool check rules`', async function () {
    const output = await runToCompletion(await promtool(), ['check', 'rules', rulesFile], { timeoutMs: 60_000 });
    expect(output).to.match(/SUCCESS: \d+ rules found/);
  });

  it('pass their unit tests (`promtool test rules`) on synthetic series', async function () {
    const tests = readdirSync(testsDir).filter((name) => name.endsWith('.yml')).map((name) => join(testsDir, name));
    expect(tests, `no test files in ${testsDir}`).to.have.length.greaterThan(0);
    const output = await runToCompletion(await promtool(), ['test', 'rules', ...tests], { cwd: testsDir, timeoutMs: 60_000 });
    expect(output).to.include('SUCCESS');
  });

  it('test every alert at least once', function () {
    const tested = new Set<string>();
    for (const name of readdirSync(testsDir).filter((file) => file.endsWith('.yml'))) {
      const suite = parse(readFileSync(join(testsDir, name), 'utf8')) as { tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[] };
      for (const test of suite.tests) {
        for (const check of test.alert_rule_test ?? []) if (check.exp_alerts.length > 0) tested.add(check.alertname);
      }
    }
    const alerts = ruleGroups().flatMap((group) => group.rules.map((rule) => rule.alert)).filter((name): name is string => name !== undefined);
    expect(alerts.filter((alert) => !tested.has(alert)), 'alerts no test sees firing').to.deep.equal([]);
  });

  it('catch a broken rule: the unit tests fail when a threshold changes', async function () {
    const scratch = mkdtempSync(join(tmpdir(), 'lagpilot-rules-'));
    try {
      mkdirSync(join(scratch, 'tests'));
      const broken = readFileSync(rulesFile, 'utf8').replace('lagpilot_kafka_partitions_offline{job="lagpilot"}) > 0', 'lagpilot_kafka_partitions_offline{job="lagpilot"}) > 5');
      expect(broken, 'the rule to break was not found').not.to.equal(readFileSync(rulesFile, 'utf8'));
      writeFileSync(join(scratch, 'lagpilot-rules.yml'), broken);
      for (const name of readdirSync(testsDir)) copyFileSync(join(testsDir, name), join(scratch, 'tests', name));
      const tests = readdirSync(testsDir).map((name) => join(scratch, 'tests', name));
      let failure: Error | undefined;
      try {
        await runToCompletion(await promtool(), ['test', 'rules', ...tests], { cwd: join(scratch, 'tests'), timeoutMs: 60_000 });
      } catch (error) {
        failure = error as Error;
      }
      expect(failure?.message, 'promtool passed a broken rule').to.include('KafkaOfflinePartitions');
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('use only metric names lagpilot exports', function () {
    const source = sourceText();
    const used = new Set(ruleGroups().flatMap((group) => group.rules.flatMap((rule) => rule.expr.match(/\blagpilot_[a-z_]+\b/g) ?? [])));
    expect(used.size).to.be.greaterThan(10);
    const unknown = [...used].filter((name) => !source.includes(`'${name}'`));
    expect(unknown, 'metric names in the rules that no source file defines').to.deep.equal([]);
  });

  it('are what deploy/kubernetes/base/prometheusrule.yaml holds (run `node scripts/prometheus-rule.ts` after a change)', function () {
    const expected = renderPrometheusRule(readFileSync(rulesFile, 'utf8'));
    expect(readFileSync(prometheusRuleFile, 'utf8')).to.equal(expected);
    const manifest = parse(expected) as { kind: string; spec: { groups: RuleGroup[] } };
    expect(manifest.kind).to.equal('PrometheusRule');
    expect(manifest.spec.groups).to.deep.equal(ruleGroups());
  });
});
