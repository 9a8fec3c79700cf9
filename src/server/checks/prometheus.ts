// Readiness of Prometheus: its own /-/ready endpoint (200 once the TSDB is open and it serves).
import type { PrometheusConfig } from '../../config/schema.ts';
import type { ReadinessCheck } from '../readiness.ts';

export function prometheusCheck(config: PrometheusConfig): ReadinessCheck {
  const readyUrl = new URL('-/ready', config.url.endsWith('/') ? config.url : `${config.url}/`);
  return {
    name: 'prometheus',
    timeoutMillis: config.timeout,
    check: async (signal) => {
      let response: Response;
      try {
        response = await fetch(readyUrl, { headers: config.headers, signal });
      } catch (error) {
        // fetch's own message is only "fetch failed"; the reason (ECONNREFUSED, ...) is the cause.
        const cause = (error as Error).cause;
        const reason = cause instanceof Error ? cause.message : (error as Error).message;
        throw new Error(`${readyUrl.origin}${readyUrl.pathname}: ${reason}`);
      }
      await response.body?.cancel();
      if (response.status !== 200) throw new Error(`${readyUrl.origin}${readyUrl.pathname} answered HTTP ${response.status}`);
    },
  };
}
