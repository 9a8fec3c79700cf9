// The PromQL collector: instant queries against Prometheus' HTTP API (/api/v1/query), e.g. the
// CPU utilisation and memory of a target's consumer pods. Each configured query becomes samples
// named after the query, one per series, with the series' labels. Every way a query can fail (a
// PromQL error, a timeout, an answer that is not Prometheus', nobody listening) becomes an error
// value naming the query, so one bad query never hides the others.
import axios, { AxiosError, type AxiosInstance } from 'axios';
import { z } from 'zod';
import type { PrometheusConfig } from '../config/schema.ts';
import type { Logger } from '../logging/logger.ts';
import type { CollectionContext, CollectionError, CollectionResult, Collector, Sample, SampleUnit } from './collector.ts';

export const prometheusSource = 'prometheus';

const sampleUnits = ['messages', 'seconds', 'messages_per_second', 'ratio', 'bytes', 'cores', 'count', 'offset'] as const satisfies readonly SampleUnit[];

export const prometheusQuerySchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[a-z_][a-z0-9_]*$/, { error: (issue) => `"${String(issue.input)}" is not a sample name (lowercase letters, digits and "_")` })
      .describe('Name of the samples the query yields, e.g. "consumer_cpu_cores"; policies refer to it.'),
    query: z.string().min(1).describe('PromQL expression evaluated as an instant query; must give an instant vector or a scalar.'),
    unit: z.enum(sampleUnits).describe('Unit of the values the query returns.'),
    required: z
      .boolean()
      .default(true)
      .describe('When true, a query that returns no series is reported as missing data (the result is partial).'),
  })
  .describe('One PromQL query of a target.');

export const prometheusCollectorSchema = z
  .strictObject({
    queries: z.array(prometheusQuerySchema).min(1).describe('Queries evaluated at every evaluation of the target.'),
  })
  .superRefine((section, context) => {
    const seen = new Set<string>();
    section.queries.forEach((query, index) => {
      if (seen.has(query.name)) context.addIssue({ code: 'custom', path: ['queries', index, 'name'], message: `duplicate query name "${query.name}"` });
      seen.add(query.name);
    });
  })
  .describe('PromQL queries of the target, against the top-level prometheus section.');

export type PrometheusQuery = z.output<typeof prometheusQuerySchema>;
export type PrometheusCollectorConfig = z.output<typeof prometheusCollectorSchema>;

/** What one collection evaluates: the target's name (a label of every sample) and its queries. */
export interface PrometheusTarget {
  name: string;
  queries: readonly PrometheusQuery[];
}

type QueryOutcome = { samples: Sample[]; error?: undefined } | { samples?: undefined; error: CollectionError };

// Network errors that mean "no Prometheus there", as opposed to one that answered badly.
const unreachableCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET', 'EPIPE']);
const timeoutCodes = new Set(['ECONNABORTED', 'ETIMEDOUT']);

export class PrometheusCollector implements Collector<PrometheusTarget> {
  readonly source = prometheusSource;
  readonly #http: AxiosInstance;
  readonly #baseUrl: string;
  readonly #timeoutMillis: number;
  readonly #logger: Logger;

  constructor(config: PrometheusConfig, logger: Logger) {
    this.#baseUrl = config.url.endsWith('/') ? config.url : `${config.url}/`;
    this.#timeoutMillis = config.timeout;
    this.#logger = logger;
    this.#http = axios.create({
      baseURL: this.#baseUrl,
      timeout: config.timeout,
      headers: { ...config.headers, Accept: 'application/json' },
      // Every status is read as an answer: Prometheus explains query errors in a 400/422 body.
      validateStatus: () => true,
      // Only JSON is expected; a proxy's HTML error page must not be parsed into something else.
      responseType: 'json',
      maxRedirects: 0,
    });
    // Header names only: their values (an Authorization token) stay out of the logs.
    logger.debug('prometheus collector ready', { url: this.#baseUrl, timeoutMillis: config.timeout, headerNames: Object.keys(config.headers) });
  }

  async collect(target: PrometheusTarget, context: CollectionContext): Promise<CollectionResult> {
    const outcomes = await Promise.all(target.queries.map((query) => this.#evaluate(target.name, query, context)));
    const samples: Sample[] = [];
    const errors: CollectionError[] = [];
    for (const outcome of outcomes) {
      if (outcome.error !== undefined) errors.push(outcome.error);
      else samples.push(...outcome.samples);
    }
    return { samples, errors, partial: errors.length > 0 };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  async #evaluate(targetName: string, query: PrometheusQuery, context: CollectionContext): Promise<QueryOutcome> {
    const fail = (code: CollectionError['code'], reason: string): QueryOutcome => ({
      error: { code, source: this.source, message: `query "${query.name}" (${query.query}): ${reason}`, labels: { query: query.name } },
    });
    let status: number;
    let body: unknown;
    try {
      const response = await this.#http.get<unknown>('api/v1/query', {
        params: { query: query.query, time: (context.nowMs / 1000).toFixed(3), timeout: `${this.#timeoutMillis}ms` },
        signal: context.signal,
      });
      status = response.status;
      body = response.data;
    } catch (error) {
      const { code, reason } = this.#classifyTransportError(error, context.signal);
      this.#logger.debug('prometheus query failed', { query: query.name, code, reason });
      return fail(code, reason);
    }
    return this.#interpret(targetName, query, status, body, fail);
  }

  #classifyTransportError(error: unknown, signal: AbortSignal): { code: CollectionError['code']; reason: string } {
    if (signal.aborted) return { code: 'TIMEOUT', reason: 'abandoned: the evaluation was cancelled or ran out of time' };
    if (error instanceof AxiosError) {
      const code = error.code ?? '';
      if (timeoutCodes.has(code)) return { code: 'TIMEOUT', reason: `no answer from ${this.#baseUrl} within ${this.#timeoutMillis} ms` };
      if (unreachableCodes.has(code)) return { code: 'UNREACHABLE', reason: `Prometheus at ${this.#baseUrl} is unreachable (${code})` };
      if (code === 'ERR_BAD_RESPONSE') return { code: 'BAD_RESPONSE', reason: `the answer from ${this.#baseUrl} is not JSON` };
      return { code: 'UNREACHABLE', reason: `request to ${this.#baseUrl} failed: ${code === '' ? error.message : `${code} ${error.message}`}` };
    }
    return { code: 'INTERNAL', reason: error instanceof Error ? error.message : String(error) };
  }

  #interpret(
    targetName: string,
    query: PrometheusQuery,
    status: number,
    body: unknown,
    fail: (code: CollectionError['code'], reason: string) => QueryOutcome,
  ): QueryOutcome {
    const parsed = queryResponseSchema.safeParse(body);
    if (!parsed.success) {
      const hint = status === 401 || status === 403 ? ' (check the auth header in prometheus.headers)' : '';
      return fail('BAD_RESPONSE', `HTTP ${status} from ${this.#baseUrl}api/v1/query is not a Prometheus API answer${hint}`);
    }
    const answer = parsed.data;
    if (answer.status === 'error') {
      // Prometheus answers a query that ran out of time with errorType "timeout" (HTTP 503).
      const code = answer.errorType === 'timeout' ? 'TIMEOUT' : 'QUERY_FAILED';
      return fail(code, `Prometheus refused it (HTTP ${status}, ${answer.errorType}): ${answer.error}`);
    }
    const baseLabels = { target: targetName, query: query.name };
    const data = answer.data;
    let samples: Sample[];
    switch (data.resultType) {
      case 'scalar':
        samples = [this.#sample(query, baseLabels, data.result)];
        break;
      case 'vector':
        samples = data.result.map((series) => {
          // The metric name is the query's business, not a label of the sample.
          const seriesLabels = Object.fromEntries(Object.entries(series.metric).filter(([label]) => label !== '__name__'));
          return this.#sample(query, { ...seriesLabels, ...baseLabels }, series.value);
        });
        break;
      default:
        return fail('BAD_RESPONSE', `gives a ${data.resultType}, not an instant vector or scalar (wrap a range selector in a function such as rate())`);
    }
    if (samples.length === 0 && query.required) return fail('PARTIAL', 'returned no series');
    return { samples };
  }

  #sample(query: PrometheusQuery, labels: Record<string, string>, point: readonly [number, string]): Sample {
    return {
      name: query.name,
      value: parsePrometheusValue(point[1]),
      unit: query.unit,
      labels,
      timestampMs: Math.round(point[0] * 1000),
      source: this.source,
    };
  }
}

/** Prometheus writes sample values as strings, with its own spelling of the infinities. */
export function parsePrometheusValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

const pointSchema = z.tuple([z.number(), z.string()]);

const queryResponseSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.discriminatedUnion('resultType', [
      z.object({ resultType: z.literal('scalar'), result: pointSchema }),
      z.object({ resultType: z.literal('vector'), result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: pointSchema })) }),
      z.object({ resultType: z.literal('matrix'), result: z.array(z.unknown()) }),
      z.object({ resultType: z.literal('string'), result: z.unknown() }),
    ]),
  }),
  z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() }),
]);
