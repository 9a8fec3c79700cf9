import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatPath, loadConfigFile, parseConfigText, type ConfigResult } from './loader.ts';
import type { LagpilotConfig } from './schema.ts';

const validText = `
server:
  host: 127.0.0.1
  port: 9464
clusters:
  - name: main
    bootstrap: ["127.0.0.1:9092"]
targets:
  - name: orders
    cluster: main
    consumerGroup: orders-consumers
    topics: [orders]
    interval: 30s
    replicas: {min: 2, max: 12}
    lag: {targetSeconds: 20}
    actuator: {kind: dryRun}
`;

function parse(text: string, environment: NodeJS.ProcessEnv = {}): ConfigResult {
  return parseConfigText(text, { sourceName: 'test.yaml', environment });
}

function parseValid(text: string, environment: NodeJS.ProcessEnv = {}): LagpilotConfig {
  const result = parse(text, environment);
  if (!result.ok) throw new Error(`expected a valid config, got:\n${result.problems.join('\n')}`);
  return result.config;
}

function problemsOf(text: string, environment: NodeJS.ProcessEnv = {}): string[] {
  const result = parse(text, environment);
  if (result.ok) throw new Error('expected the config to be refused');
  return result.problems;
}

describe('config loading', () => {
  it('reads a valid file, with durations in milliseconds and defaults filled in', () => {
    const config = parseValid(validText);
    // include, not equal: sections gain fields as lagpilot grows.
    expect(config.server).to.include({ host: '127.0.0.1', port: 9464, maxBodyBytes: 1024 * 1024 });
    expect(config.log.level).to.equal('info');
    expect(config.clusters[0]?.clientId).to.equal('lagpilot');
    const target = config.targets[0];
    expect(target?.interval).to.equal(30_000);
    expect(target?.tickTimeout).to.equal(10_000);
    expect(target?.replicas).to.deep.equal({ min: 2, max: 12 });
    expect(config.shutdown.deadline).to.equal(20_000);
    expect(config.redis).to.equal(undefined);
  });

  it('reads an empty file as all defaults', () => {
    const config = parseValid('');
    expect(config.targets).to.deep.equal([]);
    expect(config.server.port).to.equal(8080);
  });

  it('refuses an unknown key, naming its full path', () => {
    expect(problemsOf(validText.replace('consumerGroup:', 'consumerGrop:'))).to.deep.equal([
      'targets[0].consumerGroup: is required',
      'targets[0].consumerGrop: unknown key',
    ]);
    expect(problemsOf(`${validText}\nextra: 1\n`)).to.deep.equal(['extra: unknown key']);
  });

  it('names min and max when min exceeds max', () => {
    expect(problemsOf(validText.replace('{min: 2, max: 12}', '{min: 5, max: 3}'))).to.deep.equal([
      'targets[0].replicas: min (5) must not exceed max (3)',
    ]);
  });

  it('refuses a topicPattern that is not a regular expression, naming the field', () => {
    expect(problemsOf(validText.replace('topics: [orders]', 'topicPattern: "orders-("'))).to.deep.equal([
      'targets[0].topicPattern: is not a valid regular expression',
    ]);
  });

  it('checks the rules that span fields', () => {
    const text = `
clusters:
  - {name: main, bootstrap: ["127.0.0.1:9092"]}
targets:
  - name: a
    cluster: other
    consumerGroup: g
    topics: [t]
    replicas: {max: 3}
    lag: {targetSeconds: 5}
    actuator: {kind: dryRun}
  - name: a
    cluster: main
    consumerGroup: g
    topics: [t]
    topicPattern: "t.*"
    interval: 5s
    tickTimeout: 6s
    replicas: {max: 3}
    lag: {}
    actuator: {kind: dryRun}
`;
    expect(problemsOf(text)).to.deep.equal([
      'targets[1]: set topics or topicPattern, not both',
      'targets[1].lag: set targetSeconds, targetMessagesPerReplica or both',
      'targets[1].tickTimeout: 6s must not exceed interval (5s)',
      'targets[1].name: duplicate target name "a" (also targets[0])',
      'targets[0].cluster: "other" is not a cluster in clusters (defined: main)',
    ]);
  });

  it('says what is wrong with a value of the wrong type or form', () => {
    const text = validText
      .replace('port: 9464', 'port: "high"')
      .replace('interval: 30s', 'interval: 30 seconds')
      .replace('kind: dryRun', 'kind: teleport');
    expect(problemsOf(`${text}log: {level: loud}\n`)).to.deep.equal([
      'server.port: must be a number (found "high")',
      'log.level: must be one of "error", "warn", "info", "debug" (found "loud")',
      'targets[0].interval: "30 seconds" is not a duration (use e.g. 500ms, 15s, 2m, 1h)',
      'targets[0].actuator.kind: has an unknown kind',
    ]);
  });

  it('substitutes environment variables, with defaults, keeping numbers numbers', () => {
    const text = validText
      .replace('port: 9464', 'port: ${LAGPILOT_PORT}')
      .replace('"127.0.0.1:9092"', '"${KAFKA:-127.0.0.1:19092}"')
      .replace('consumerGroup: orders-consumers', 'consumerGroup: ${GROUP_PREFIX}-consumers');
    const config = parseValid(text, { LAGPILOT_PORT: '9999', GROUP_PREFIX: 'billing' });
    expect(config.server.port).to.equal(9999);
    expect(config.clusters[0]?.bootstrap).to.deep.equal(['127.0.0.1:19092']);
    expect(config.targets[0]?.consumerGroup).to.equal('billing-consumers');
    // An empty variable takes the default too, as in a shell.
    expect(parseValid(text, { LAGPILOT_PORT: '1', GROUP_PREFIX: 'x', KAFKA: '' }).clusters[0]?.bootstrap).to.deep.equal(['127.0.0.1:19092']);
  });

  it('keeps a substituted secret a string, whatever characters it holds', () => {
    const text = validText.replace('    bootstrap: ["127.0.0.1:9092"]', '    bootstrap: ["127.0.0.1:9092"]\n    sasl: {mechanism: plain, username: u, password: "${KAFKA_PASSWORD}"}');
    const config = parseValid(text, { KAFKA_PASSWORD: 'a: #b, }' });
    expect(config.clusters[0]?.sasl?.password).to.equal('a: #b, }');
  });

  it('keeps $${ as a literal', () => {
    const config = parseValid(validText.replace('consumerGroup: orders-consumers', () => 'consumerGroup: "$${NOT_A_VARIABLE}"'));
    expect(config.targets[0]?.consumerGroup).to.equal('${NOT_A_VARIABLE}');
  });

  it('names a missing variable and its line', () => {
    const text = validText.replace('consumerGroup: orders-consumers', 'consumerGroup: ${MISSING_GROUP}');
    expect(problemsOf(text)).to.deep.equal([
      'test.yaml:11: environment variable MISSING_GROUP is not set (write ${MISSING_GROUP:-value} to give a default)',
    ]);
  });

  it('reports a YAML syntax error with its line and column', () => {
    expect(problemsOf('server:\n  port: [8080\nlog: {}\n')).to.deep.equal([
      'test.yaml:3:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
    expect(problemsOf('server: {}\nserver: {}\n')[0]).to.match(/^test\.yaml:2:1: YAML syntax error: Map keys must be unique/);
  });

  it('names a file it cannot read', async () => {
    const result = await loadConfigFile('/nonexistent/lagpilot.yaml');
    expect(result).to.deep.equal({ ok: false, problems: ['/nonexistent/lagpilot.yaml: cannot read the config file: no such file'] });
  });

  it('reads a file from disk', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'lagpilot-config-'));
    const path = join(directory, 'lagpilot.yaml');
    writeFileSync(path, validText);
    const result = await loadConfigFile(path, {});
    expect(result.ok).to.equal(true);
  });

  it('formats paths as written in the file', () => {
    expect(formatPath(['targets', 0, 'replicas'])).to.equal('targets[0].replicas');
    expect(formatPath([])).to.equal('(top level)');
  });
});

describe('the configs in config/', () => {
  it('config/example.yaml is valid as committed', async () => {
    const result = await loadConfigFile('config/example.yaml', {});
    expect(result.ok ? 'valid' : result.problems.join('\n')).to.equal('valid');
  });

  it('config/local.yaml is valid once the environment addresses are set, and names them when not', async () => {
    const result = await loadConfigFile('config/local.yaml', { LAGPILOT_KAFKA_BOOTSTRAP: '127.0.0.1:9092', LAGPILOT_REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(result.ok ? 'valid' : result.problems.join('\n')).to.equal('valid');
    const unset = await loadConfigFile('config/local.yaml', {});
    expect(unset.ok ? [] : unset.problems.map((problem) => /variable (\w+)/.exec(problem)?.[1])).to.deep.equal([
      'LAGPILOT_KAFKA_BOOTSTRAP',
      'LAGPILOT_REDIS_URL',
    ]);
  });
});
