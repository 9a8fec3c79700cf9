// Readiness of Prometheus: its own /-/ready endpoint (200 once the TSDB is open and it serves).
import type { PrometheusConfig } from '../../config/schema.ts';
import type { ReadinessCheck } from '../readiness.ts';

/**
 * fetch refuses URLs that carry credentials (and would put them in its error message), so
 * `http://user:password@host` becomes a Basic Authorization header, unless one is configured.
 */
export function prometheusRequest(config: PrometheusConfig, path: string): { url: URL; headers: Record<string, string> } {
  const url = new URL(path, config.url.endsWith('/') ? config.url : `${config.url}/`);
  const headers = { ...config.headers };
  if (url.username !== '' || url.password !== '') {
    const hasAuthorization = Object.keys(headers).some((name) => name.toLowerCase() === 'authorization');
    if (!hasAuthorization) {
      const userInfo = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
      headers.Authorization = `Basic ${Buffer.from(userInfo).toString('base64')}`;
    }
    url.username = '';
    url.password = '';
  }
  return { url, headers };
}

export function prometheusCheck(config: PrometheusConfig): ReadinessCheck {
  const { url: readyUrl, headers } = prometheusRequest(config, '-/ready');
  return {
    name: 'prometheus',
    timeoutMillis: config.timeout,
    check: async (signal) => {
      let response: Response;
      try {
        response = await fetch(readyUrl, { headers, signal });
      } catch (error) {
        // fetch's own message is only "fetch failed"; the reason (ECONNREFUSED, ...) is the cause.
        const cause = (error as Error).cause;
        const reason = cause instanceof Error ? cause.message : (error as Error).message;
        throw new Error(`${readyUrl.href}: ${reason}`);
      }
      await response.body?.cancel();
      if (response.status !== 200) throw new Error(`${readyUrl.href} answered HTTP ${response.status}`);
    },
  };
}
