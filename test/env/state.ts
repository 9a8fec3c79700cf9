// The env file (.lagpilot-env.json at the repo root): connection details of the started
// services. Written by `npm run env -- up`, read by tests, benchmarks and the demo.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { envFile } from './paths.ts';
import type { ServiceRecord } from './service.ts';

export type EnvState = Record<string, ServiceRecord & Record<string, unknown>>;

export function readEnvState(): EnvState {
  if (!existsSync(envFile)) return {};
  const parsed: unknown = JSON.parse(readFileSync(envFile, 'utf8'));
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error(`${envFile} does not hold a JSON object; delete it and run "npm run env -- up" again`);
  }
  return parsed as EnvState;
}

export function writeEnvState(state: EnvState): void {
  // Write-then-rename, so a reader never sees half a file.
  const temporary = `${envFile}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temporary, envFile);
}

export function recordService(name: string, record: ServiceRecord): void {
  const state = readEnvState();
  state[name] = record as ServiceRecord & Record<string, unknown>;
  writeEnvState(state);
}

export function forgetService(name: string): void {
  const state = readEnvState();
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- the state is a map keyed by service name
  delete state[name];
  writeEnvState(state);
}
