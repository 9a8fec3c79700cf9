// Config text for schema tests: a minimal valid file (one cluster, no targets) with the section under test appended.
import { parseConfigText, type ConfigResult } from '../loader.ts';

const minimalConfig = `
clusters:
  - name: main
    bootstrap: ["127.0.0.1:9092"]
targets: []
`;

/** Parses the minimal config followed by `extra` YAML, with `${...}` references resolved from `environment`. */
export function parseWithMinimalConfig(extra: string, environment: NodeJS.ProcessEnv = {}): ConfigResult {
  return parseConfigText(`${minimalConfig}${extra}`, { sourceName: 'test.yaml', environment });
}
