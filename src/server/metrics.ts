// The daemon's own Prometheus registry. Private rather than prom-client's global one, so that
// nothing a library registers globally leaks into /metrics and tests can build many daemons.
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

export function createMetricsRegistry(version: string): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const buildInfo = new Gauge({
    name: 'lagpilot_build_info',
    help: 'Always 1; its labels say which lagpilot and Node.js run.',
    labelNames: ['version', 'node_version'],
    registers: [registry],
  });
  buildInfo.set({ version, node_version: process.version }, 1);
  return registry;
}
