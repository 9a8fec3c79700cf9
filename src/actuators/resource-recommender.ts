// The vertical recommender: what a container should request, judged from how much it used.
// Like the Kubernetes VPA, it takes a high percentile of the observed usage, adds a safety
// margin, and keeps the result within bounds; unlike the VPA it works on the raw samples of one
// history window (no decaying histogram), so the same history always gives the same answer.
// Pure: no I/O, no clock.

export type ResourceKind = 'cpu' | 'memory';

export interface ResourcePolicy {
  /** Quantile of the usage samples, in (0, 1]: 0.9 is the 90th percentile. */
  percentile: number;
  /** Added on top of the percentile: 0.15 asks for 15 % more than was used. */
  margin: number;
  /** Bounds of the request, in cores (cpu) or bytes (memory). */
  min: number;
  max: number;
  /** limit = request x ratio; 'keep' keeps the limit/request ratio in force (no limit stays no limit). */
  limitRatio: number | 'keep';
}

export interface CurrentResource {
  request?: number;
  limit?: number;
}

export interface RecommendationInput {
  samples: readonly number[];
  current: CurrentResource;
  policy: ResourcePolicy;
  /** Fewer usable samples than this give no recommendation. */
  minSamples: number;
  /** A relative change of the request smaller than this (0.1 = 10 %) is not worth a restart. */
  minChange: number;
}

export type Recommendation =
  | { outcome: 'insufficientHistory'; samples: number; detail: string }
  | { outcome: 'withinThreshold'; request: number; limit: number | undefined; detail: string }
  | { outcome: 'change'; request: number; limit: number | undefined; detail: string };

/** Requests are written in these steps: whole millicores, whole MiB. */
const granularity: Record<ResourceKind, number> = { cpu: 0.001, memory: 1024 * 1024 };

/** Nearest-rank percentile: the smallest sample with at least `quantile` of the samples at or below it. */
export function percentile(samples: readonly number[], quantile: number): number {
  if (samples.length === 0) throw new Error('percentile of no samples');
  if (!(quantile > 0 && quantile <= 1)) throw new Error(`percentile ${quantile} is not in (0, 1]`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil(quantile * sorted.length);
  // rank is within 1..length because quantile is in (0, 1].
  return sorted[rank - 1] ?? Number.NaN;
}

/** Rounds up to the resource's step; a tiny tolerance keeps 0.288000000001 cores at 288m. */
export function roundUp(kind: ResourceKind, value: number): number {
  const step = granularity[kind];
  const steps = Math.ceil(value / step - 1e-9);
  return kind === 'cpu' ? steps / 1000 : steps * step;
}

export function recommend(kind: ResourceKind, input: RecommendationInput): Recommendation {
  const { policy } = input;
  // A container with a limit and no request is given a request equal to its limit.
  const current: CurrentResource = { ...input.current };
  if (current.request === undefined && current.limit !== undefined) current.request = current.limit;
  const usable = input.samples.filter((value) => Number.isFinite(value) && value >= 0);
  if (usable.length < input.minSamples) {
    return {
      outcome: 'insufficientHistory',
      samples: usable.length,
      detail: `${kind}: ${usable.length} usage samples, ${input.minSamples} needed`,
    };
  }
  const observed = percentile(usable, policy.percentile);
  const wanted = observed * (1 + policy.margin);
  const request = Math.min(roundUp(kind, Math.min(Math.max(wanted, policy.min), policy.max)), policy.max);
  const limit = recommendLimit(kind, request, current, policy.limitRatio);
  const basis = `p${formatNumber(policy.percentile * 100)} ${formatQuantity(kind, observed)} +${formatNumber(policy.margin * 100)}%`;
  const currentRequest = current.request;
  if (currentRequest !== undefined && currentRequest > 0) {
    const change = Math.abs(request - currentRequest) / currentRequest;
    if (change < input.minChange && relativeChange(current.limit, limit) < input.minChange) {
      return {
        outcome: 'withinThreshold',
        request: currentRequest,
        limit: current.limit,
        detail: `${kind}: ${basis} -> ${formatQuantity(kind, request)}, ${formatNumber(change * 100)}% from ${formatQuantity(kind, currentRequest)} (under ${formatNumber(input.minChange * 100)}%)`,
      };
    }
  }
  return { outcome: 'change', request, limit, detail: `${kind}: ${basis} -> ${formatQuantity(kind, request)}` };
}

/** 0 when both are unset, Infinity when one is set and the other is not. */
function relativeChange(before: number | undefined, after: number | undefined): number {
  if (before === undefined && after === undefined) return 0;
  if (before === undefined || after === undefined || before <= 0) return Number.POSITIVE_INFINITY;
  return Math.abs(after - before) / before;
}

function recommendLimit(kind: ResourceKind, request: number, current: CurrentResource, ratio: number | 'keep'): number | undefined {
  if (ratio !== 'keep') return roundUp(kind, request * ratio);
  if (current.limit === undefined) return undefined;
  if (current.request === undefined || current.request <= 0) return current.limit;
  return roundUp(kind, request * (current.limit / current.request));
}

function formatNumber(value: number): string {
  return String(Math.round(value * 100) / 100);
}

const binarySuffixes: readonly [string, number][] = [
  ['Ei', 2 ** 60],
  ['Pi', 2 ** 50],
  ['Ti', 2 ** 40],
  ['Gi', 2 ** 30],
  ['Mi', 2 ** 20],
  ['Ki', 2 ** 10],
];
const decimalSuffixes: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A Kubernetes quantity ("250m", "1.5", "512Mi", "1G", "1e3") as a number of cores or bytes. */
export function parseQuantity(text: string): number {
  const match = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(text.trim());
  if (match === null) throw new Error(`"${text}" is not a Kubernetes quantity (e.g. 250m, 2, 512Mi, 1Gi)`);
  const [, number = '', exponent, suffix = ''] = match;
  if (exponent !== undefined) return Number(`${number}${exponent}`);
  const binary = binarySuffixes.find(([name]) => name === suffix);
  return Number(number) * (binary?.[1] ?? decimalSuffixes[suffix] ?? 1);
}

/** The text written into a pod template: millicores for cpu, Mi when it divides, bytes otherwise. */
export function formatQuantity(kind: ResourceKind, value: number): string {
  if (kind === 'cpu') {
    const millicores = Math.round(value * 1000);
    return millicores % 1000 === 0 ? String(millicores / 1000) : `${millicores}m`;
  }
  const bytes = Math.round(value);
  for (const [suffix, size] of binarySuffixes) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${suffix}`;
  }
  return String(bytes);
}
