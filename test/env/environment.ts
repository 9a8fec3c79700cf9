// The programmatic face of the local test environment: `npm run env` (cli.ts), the test runner,
// the integration tests and the benchmarks all go through these functions, so there is one way
// to start each service.
import { forgetService, readEnvState, recordService } from './state.ts';
import type { EnvService, ServiceRecord } from './service.ts';

type ServiceLoader = () => Promise<{ service: EnvService }>;

// Loaded lazily so that `env up redis` does not load the Kafka or Kubernetes code.
const serviceLoaders: Record<string, ServiceLoader> = {
  kafka: () => import('./services/kafka.ts'),
  kafka3: () => import('./services/kafka3.ts'),
  redis: () => import('./services/redis.ts'),
  kube: () => import('./services/kube.ts'),
  prometheus: () => import('./services/prometheus.ts'),
  alertmanager: () => import('./services/alertmanager.ts'),
};

/** What `up all` starts. kafka3 is left out: it is started by the tests that need it. */
export const defaultServices = ['kafka', 'redis', 'kube', 'prometheus', 'alertmanager'];
export const knownServices = Object.keys(serviceLoaders);

export async function loadService(name: string): Promise<EnvService> {
  const loader = serviceLoaders[name];
  if (loader === undefined) {
    throw new Error(`unknown service "${name}"; known: ${knownServices.join(', ')}, all`);
  }
  return (await loader()).service;
}

export function expandServiceNames(names: string[]): string[] {
  if (names.length === 0 || names.includes('all')) return [...defaultServices];
  for (const name of names) {
    if (!(name in serviceLoaders)) {
      throw new Error(`unknown service "${name}"; known: ${knownServices.join(', ')}, all`);
    }
  }
  return names;
}

/**
 * Starts a service unless it already runs healthy, and returns its record. This is what tests
 * call: it never skips, it either returns a healthy service or throws with the service's log.
 */
export async function ensureService<Details extends ServiceRecord = ServiceRecord>(name: string): Promise<Details> {
  const service = await loadService(name);
  const existing = readEnvState()[name];
  if (existing !== undefined) {
    if (await service.isHealthy(existing)) return existing as unknown as Details;
    await service.stop(existing);
    forgetService(name);
  }
  const started = await service.start();
  recordService(name, started);
  return started as Details;
}

export async function stopService(name: string): Promise<boolean> {
  const record = readEnvState()[name];
  if (record === undefined) return false;
  const service = await loadService(name);
  await service.stop(record);
  forgetService(name);
  return true;
}

export interface ServiceStatus {
  name: string;
  state: 'running' | 'unhealthy' | 'stopped';
  record?: ServiceRecord;
}

export async function serviceStatus(name: string): Promise<ServiceStatus> {
  const record = readEnvState()[name];
  if (record === undefined) return { name, state: 'stopped' };
  const service = await loadService(name);
  const healthy = await service.isHealthy(record);
  return { name, state: healthy ? 'running' : 'unhealthy', record };
}

/** The recorded details of a running service, for tests that expect it started already. */
export function recordedService(name: string): ServiceRecord | undefined {
  return readEnvState()[name];
}
