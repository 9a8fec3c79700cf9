// An SVG of simulation runs side by side: one column per run, three rows sharing their scales
// across columns (produce rate, replicas desired and ready, lag in seconds against the SLO), so
// the eye compares the same quantity at the same height.
import type { Scenario } from './model.ts';
import type { LabelledRun } from './runs.ts';

const columnWidth = 620;
const rowHeight = 190;
const margin = { left: 70, right: 20, top: 70, bottom: 50 };
const columnGap = 50;
const rowGap = 45;
/** Points per line: a polyline of 21 600 points is larger than anyone can see. */
const maxPoints = 600;

const colours = { rate: '#4c72b0', desired: '#dd8452', ready: '#55a868', lag: '#c44e52', slo: '#8c8c8c', grid: '#e5e5e5', text: '#222' };

interface Row {
  title: string;
  unit: string;
  series: { name: string; colour: string; values: (run: LabelledRun) => number[]; dashed?: boolean; step?: boolean }[];
  reference?: { value: number; label: string };
}

export function renderRunsSvg(title: string, runs: readonly LabelledRun[], scenario: Scenario): string {
  if (runs.length === 0) throw new Error('nothing to plot: no runs');
  const rows: Row[] = [
    { title: 'produce rate', unit: 'msg/s', series: [{ name: 'produce rate', colour: colours.rate, values: (run) => run.timeline.produceRate }] },
    {
      title: 'replicas',
      unit: 'count',
      series: [
        { name: 'desired', colour: colours.desired, values: (run) => run.timeline.desiredReplicas, step: true },
        { name: 'ready', colour: colours.ready, values: (run) => run.timeline.readyReplicas, dashed: true, step: true },
      ],
    },
    {
      title: 'lag',
      unit: 's',
      series: [{ name: 'lag (age of oldest unconsumed message)', colour: colours.lag, values: (run) => run.timeline.lagSeconds }],
      reference: { value: scenario.slo, label: `SLO ${scenario.slo} s` },
    },
  ];
  const width = margin.left + runs.length * columnWidth + (runs.length - 1) * columnGap + margin.right;
  const height = margin.top + rows.length * rowHeight + (rows.length - 1) * rowGap + margin.bottom;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${margin.left}" y="24" font-size="17" font-weight="bold" fill="${colours.text}">${escapeXml(title)}</text>`,
  ];
  const totalSeconds = Math.max(...runs.map((run) => run.timeline.produceRate.length));

  rows.forEach((row, rowIndex) => {
    const top = margin.top + rowIndex * (rowHeight + rowGap);
    let maxValue = row.reference?.value ?? 0;
    for (const run of runs) for (const series of row.series) maxValue = Math.max(maxValue, ...series.values(run));
    const yTicks = niceTicks(maxValue * 1.05);
    const yMax = yTicks.at(-1) ?? 1;
    runs.forEach((run, columnIndex) => {
      const left = margin.left + columnIndex * (columnWidth + columnGap);
      const x = (second: number): number => left + (second / Math.max(1, totalSeconds)) * columnWidth;
      const y = (value: number): number => top + rowHeight - (value / yMax) * rowHeight;
      if (rowIndex === 0) {
        const r = run.result;
        parts.push(`<text x="${left}" y="${margin.top - 28}" font-size="14" font-weight="bold" fill="${colours.text}">${escapeXml(run.label)}</text>`);
        parts.push(`<text x="${left}" y="${margin.top - 12}" fill="${colours.text}">${escapeXml(
          `SLO violations ${r.sloViolationSeconds} s · max lag ${r.maxLagSeconds} s · efficiency ${r.efficiency.toFixed(3)} · ${r.scaleEvents} scale events · paused ${r.pausedSeconds} s`,
        )}</text>`);
      }
      for (const tick of yTicks) {
        parts.push(`<line x1="${left}" x2="${left + columnWidth}" y1="${y(tick).toFixed(1)}" y2="${y(tick).toFixed(1)}" stroke="${colours.grid}"/>`);
        parts.push(`<text x="${left - 6}" y="${(y(tick) + 4).toFixed(1)}" text-anchor="end" fill="${colours.text}">${formatNumber(tick)}</text>`);
      }
      for (const tick of timeTicks(totalSeconds)) {
        parts.push(`<line x1="${x(tick).toFixed(1)}" x2="${x(tick).toFixed(1)}" y1="${top}" y2="${top + rowHeight}" stroke="${colours.grid}"/>`);
        parts.push(`<text x="${x(tick).toFixed(1)}" y="${top + rowHeight + 15}" text-anchor="middle" fill="${colours.text}">${formatTime(tick)}</text>`);
      }
      parts.push(`<rect x="${left}" y="${top}" width="${columnWidth}" height="${rowHeight}" fill="none" stroke="#999"/>`);
      if (row.reference !== undefined) {
        const ry = y(row.reference.value).toFixed(1);
        parts.push(`<line x1="${left}" x2="${left + columnWidth}" y1="${ry}" y2="${ry}" stroke="${colours.slo}" stroke-dasharray="6 4" stroke-width="1.5"/>`);
        parts.push(`<text x="${left + columnWidth - 4}" y="${(Number(ry) - 4).toFixed(1)}" text-anchor="end" fill="${colours.slo}">${escapeXml(row.reference.label)}</text>`);
      }
      for (const series of row.series) {
        const points = downsample(series.values(run), maxPoints, series.step === true)
          .map(([second, value]) => `${x(second).toFixed(1)},${y(value).toFixed(1)}`)
          .join(' ');
        const dash = series.dashed === true ? ' stroke-dasharray="5 3"' : '';
        parts.push(`<polyline points="${points}" fill="none" stroke="${series.colour}" stroke-width="1.4"${dash}/>`);
      }
    });
    // Row title and legend, once per row, left of the first column.
    parts.push(`<text transform="translate(16 ${top + rowHeight / 2}) rotate(-90)" text-anchor="middle" fill="${colours.text}">${escapeXml(`${row.title} (${row.unit})`)}</text>`);
    let legendX = margin.left;
    for (const series of row.series) {
      const legendY = top + rowHeight + 32;
      const dash = series.dashed === true ? ' stroke-dasharray="5 3"' : '';
      parts.push(`<line x1="${legendX}" x2="${legendX + 22}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${series.colour}" stroke-width="2"${dash}/>`);
      parts.push(`<text x="${legendX + 28}" y="${legendY}" fill="${colours.text}">${escapeXml(series.name)}</text>`);
      legendX += 40 + series.name.length * 7;
    }
  });
  parts.push(`<text x="${width - margin.right}" y="${height - 8}" text-anchor="end" fill="#666">time (h:mm); scenario: ${escapeXml(describeScenario(scenario))}</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/**
 * Reduces a per-second series to at most about `limit` points. Step series (replica counts)
 * keep every change exactly; others keep each bucket's highest value so peaks stay visible.
 */
export function downsample(values: readonly number[], limit: number, step: boolean): [number, number][] {
  if (values.length === 0) return [];
  if (step) {
    const points: [number, number][] = [];
    let previous: number | undefined;
    values.forEach((value, second) => {
      if (previous !== undefined && value !== previous) points.push([second, previous]);
      if (value !== previous) points.push([second, value]);
      previous = value;
    });
    points.push([values.length, previous ?? 0]);
    return points;
  }
  const bucket = Math.max(1, Math.ceil(values.length / limit));
  const points: [number, number][] = [];
  for (let start = 0; start < values.length; start += bucket) {
    const slice = values.slice(start, start + bucket);
    points.push([start + slice.length / 2, Math.max(...slice)]);
  }
  return points;
}

export function niceTicks(maxValue: number): number[] {
  if (!(maxValue > 0)) return [0, 1];
  const roughStep = maxValue / 5;
  const magnitude = 10 ** Math.floor(Math.log10(roughStep));
  const step = ([1, 2, 2.5, 5, 10].find((factor) => factor * magnitude >= roughStep) ?? 10) * magnitude;
  const ticks: number[] = [];
  for (let tick = 0; tick < maxValue + step; tick += step) ticks.push(Number(tick.toPrecision(12)));
  return ticks;
}

/** Ticks on whole minutes or hours, at most about eight of them. */
export function timeTicks(totalSeconds: number): number[] {
  const steps = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
  const step = steps.find((candidate) => totalSeconds / candidate <= 8) ?? 86400;
  const ticks: number[] = [];
  for (let tick = 0; tick <= totalSeconds; tick += step) ticks.push(tick);
  return ticks;
}

function formatNumber(value: number): string {
  return value >= 10000 ? `${value / 1000}k` : String(value);
}

function formatTime(seconds: number): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return `${hours}:${String(minutes).padStart(2, '0')}`;
}

function describeScenario(scenario: Scenario): string {
  return `${scenario.partitions} partitions, capacity ${scenario.capacity} msg/s per replica, startup ${scenario.startup} s, rebalance pause ${scenario.rebalancePause} s, replicas ${scenario.minReplicas}..${scenario.maxReplicas}, evaluated every ${scenario.interval} s`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
