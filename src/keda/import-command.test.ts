import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../config/loader.ts';
import { importExitCodes, runImportKeda } from './import-command.ts';

const example = join(dirname(fileURLToPath(import.meta.url)), 'testdata', 'orders-sasl-tls.yaml');

async function run(file: string, options: { json?: boolean; out?: string }): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runImportKeda(file, options, (text) => { out += text; }, (text) => { err += text; });
  return { code, out, err };
}

describe('lagpilot import-keda', () => {
  let folder: string;
  beforeEach(() => { folder = mkdtempSync(join(tmpdir(), 'lagpilot-import-keda-')); });
  afterEach(() => { rmSync(folder, { recursive: true, force: true }); });

  it('writes the config to --out, where validate-config accepts it, and prints the report', async () => {
    const out = join(folder, 'lagpilot.yaml');
    const result = await run(example, { out });
    expect(result.code).to.equal(importExitCodes.ok);
    expect(result.out).to.contain('no equivalent  spec.fallback = 6 replicas after 3 failures: ');
    expect(result.out).to.contain('needs get and patch on the workloads\' /scale in namespace shop ');
    expect(result.out).to.match(/\d+ mapped, \d+ approximated, \d+ without equivalent\.\nwrote /);
    const loaded = await loadConfigFile(out, { KAFKA_CREDENTIALS_USERNAME: 'orders', KAFKA_CREDENTIALS_PASSWORD: 'secret' });
    expect(loaded.ok, loaded.ok ? '' : loaded.problems.join('\n')).to.equal(true);
    expect(readFileSync(out, 'utf8')).to.contain('#   KAFKA_CREDENTIALS_PASSWORD: Secret kafka-credentials, key password');
  });

  it('prints config, report, environment and mounts as JSON with --json', async () => {
    const result = await run(example, { json: true });
    const parsed = JSON.parse(result.out) as { config: { targets: { name: string }[] }; report: unknown[]; environment: unknown[]; mounts: unknown[] };
    expect(parsed.config.targets.map((target) => target.name)).to.deep.equal(['orders-consumer']);
    expect(parsed.report.length).to.be.greaterThan(10);
    expect(parsed.environment).to.have.length(2);
    expect(parsed.mounts).to.have.length(1);
  });

  it('exits 2 naming the line of a YAML mistake, and 2 with the report when nothing converts', async () => {
    const broken = join(folder, 'broken.yaml');
    writeFileSync(broken, 'apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata:\n  name: x\n namespace: y\n');
    const syntax = await run(broken, {});
    expect(syntax.code).to.equal(importExitCodes.cannotConvert);
    expect(syntax.err).to.match(new RegExp(`^${broken.replaceAll('.', '\\.')}:5:1: YAML syntax error: All mapping items must start at the same column`));
    const cpuOnly = join(folder, 'cpu.yaml');
    writeFileSync(cpuOnly, 'apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: web}\nspec:\n  scaleTargetRef: {name: web}\n  triggers:\n    - {type: cpu, metricType: Utilization, metadata: {value: "60"}}\n');
    const nothing = await run(cpuOnly, {});
    expect(nothing.code).to.equal(importExitCodes.cannotConvert);
    expect(nothing.err).to.contain('no equivalent  spec.triggers[0].type = cpu');
    expect(nothing.err).to.contain(`${cpuOnly}: no ScaledObject has a Kafka trigger lagpilot can take over`);
    const missing = await run(join(folder, 'absent.yaml'), {});
    expect(missing.err).to.contain('absent.yaml: cannot read the file: no such file');
  });
});
