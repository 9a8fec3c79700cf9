// The status page's script, served as /status/page.js. Kept as a string so that the daemon and
// its single-file bundle carry it without a file beside them. It polls /api/status and
// /api/status/history (incrementally, with `since`) every two seconds and draws each target's
// plots as SVG. Text from the daemon only ever reaches the document through textContent and
// setAttribute, never as markup, so a consumer group or reason containing "<script>" stays text.
//
// Without a document (the unit tests run it in a bare VM context) it only defines its pure
// helpers on globalThis.lagpilotStatusPage.
export const statusPageJs = String.raw`'use strict';
(function () {
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const POLL_MILLIS = 2000;
  // A short history is spread over at least a minute, so the first points of a fresh daemon
  // read as seconds, not as a slope over an hour.
  const MIN_SPAN_MILLIS = 60 * 1000;
  const WIDTH = 460;
  const HEIGHT = 190;
  const MARGIN = { left: 46, right: 10, top: 10, bottom: 22 };

  function formatCount(value) {
    if (value === null || value === undefined) return '–';
    return Math.round(value).toLocaleString('en-US');
  }

  function formatSeconds(value) {
    if (value === null || value === undefined) return '–';
    if (value < 10) return value.toFixed(1);
    return Math.round(value).toLocaleString('en-US');
  }

  function formatClock(timeMs) {
    const date = new Date(timeMs);
    const pad = (n) => String(n).padStart(2, '0');
    return pad(date.getHours()) + ':' + pad(date.getMinutes()) + ':' + pad(date.getSeconds());
  }

  /** The smallest of 1, 2, 5 × 10^k at or above value: axis tops people read at a glance. */
  function niceMax(value) {
    if (!(value > 0)) return 1;
    const magnitude = Math.pow(10, Math.floor(Math.log10(value)));
    const fraction = value / magnitude;
    const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
    return nice * magnitude;
  }

  /** The plotted time range: up to the window, at least MIN_SPAN_MILLIS, ending now. */
  function timeDomain(points, nowMs, windowMillis) {
    const oldest = points.length > 0 ? points[0].timeMs : nowMs;
    const span = Math.min(windowMillis, Math.max(MIN_SPAN_MILLIS, nowMs - oldest));
    return [nowMs - span, nowMs];
  }

  /**
   * An SVG path through the points' values of one key; a missing value breaks the line, so a
   * failed collection shows as a gap rather than as a made-up slope. A step series holds each
   * value until the next (replica counts change at decisions, not in between).
   */
  function seriesPath(points, key, toX, toY, step) {
    let d = '';
    let drawn = 0;
    let segments = 0;
    let open = false;
    for (const point of points) {
      const value = point[key];
      if (value === null || value === undefined || !Number.isFinite(value)) { open = false; continue; }
      const x = toX(point.timeMs).toFixed(1);
      const y = toY(value).toFixed(1);
      if (!open) { d += 'M' + x + ' ' + y; segments += 1; open = true; }
      else if (step) d += 'H' + x + 'V' + y;
      else d += 'L' + x + ' ' + y;
      drawn += 1;
    }
    return { d: d, drawn: drawn, segments: segments };
  }

  function timeTickStep(spanMillis) {
    const minute = 60 * 1000;
    if (spanMillis <= 2 * minute) return minute / 4;
    if (spanMillis <= 5 * minute) return minute;
    if (spanMillis <= 15 * minute) return 5 * minute;
    if (spanMillis <= 30 * minute) return 10 * minute;
    return 15 * minute;
  }

  const helpers = { formatCount, formatSeconds, niceMax, timeDomain, seriesPath, timeTickStep };
  if (typeof document === 'undefined') {
    globalThis.lagpilotStatusPage = helpers;
    return;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svgElement(tag, attributes) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const name of Object.keys(attributes)) node.setAttribute(name, String(attributes[name]));
    return node;
  }

  function figure(className, label, unit, field) {
    const box = element('div', 'figure ' + className);
    box.append(element('div', 'label', label));
    const value = element('span', 'value', '–');
    value.setAttribute('data-field', field);
    const line = element('div');
    line.append(value, element('span', 'unit', unit));
    box.append(line);
    return { box: box, value: value };
  }

  function plotBox(title, legend, plotName) {
    const box = element('div', 'plot');
    const heading = element('h3', '', title);
    heading.append(element('span', 'legend', legend));
    const svg = svgElement('svg', { viewBox: '0 0 ' + WIDTH + ' ' + HEIGHT, role: 'img', 'aria-label': title, 'data-plot': plotName });
    box.append(heading, svg);
    return { box: box, svg: svg };
  }

  const cards = new Map();

  function createCard(name) {
    const card = element('section', 'card');
    card.setAttribute('data-target', name);
    const head = element('div', 'card-head');
    const title = element('h2', '', name);
    const kind = element('span', 'badge plain');
    const consumer = element('span', 'badge');
    consumer.setAttribute('data-field', 'consumer-status');
    const freshness = element('span', 'badge');
    freshness.setAttribute('data-field', 'freshness');
    const outcome = element('span', 'badge');
    outcome.setAttribute('data-field', 'outcome');
    head.append(title, kind, consumer, freshness, outcome);
    const subtitle = element('p', 'subtitle');
    const figures = element('div', 'figures');
    const lagSeconds = figure('lag', 'Lag', 's', 'lag-seconds');
    const lagMessages = figure('messages', 'Lag', 'messages', 'lag-messages');
    const replicas = figure('replicas', 'Replicas current / desired', '', 'replicas');
    const fresh = figure('fresh', 'Data age', 's', 'data-age');
    figures.append(lagSeconds.box, lagMessages.box, replicas.box, fresh.box);
    const errors = element('ul', 'errors');
    const plots = element('div', 'plots');
    const lagSecondsPlot = plotBox('Lag (seconds)', 'oldest unconsumed message; dashed red: target', 'lag-seconds');
    const lagMessagesPlot = plotBox('Lag (messages)', 'summed over partitions', 'lag-messages');
    const replicasPlot = plotBox('Replicas', 'green: current, orange dashed: desired; ▲▼ decisions (hover for reasons)', 'replicas');
    plots.append(lagSecondsPlot.box, lagMessagesPlot.box, replicasPlot.box);
    const decisions = element('div', 'decisions');
    decisions.append(element('h3', '', 'Last journaled decision'));
    const lastDecision = element('p', 'last-decision');
    decisions.append(lastDecision, element('h3', '', 'Scaling changes in the plotted range (newest first; hover a code for its reason)'));
    const decisionList = element('ol');
    decisions.append(decisionList);
    card.append(head, subtitle, figures, errors, plots, decisions);
    const entry = {
      card: card, kind: kind, consumer: consumer, freshness: freshness, outcome: outcome, subtitle: subtitle,
      lagSeconds: lagSeconds.value, lagMessages: lagMessages.value, replicas: replicas.value, dataAge: fresh.value,
      errors: errors, lastDecision: lastDecision, decisionList: decisionList,
      plots: { lagSeconds: lagSecondsPlot.svg, lagMessages: lagMessagesPlot.svg, replicas: replicasPlot.svg },
      points: [], markers: [], lastTimeMs: null,
    };
    cards.set(name, entry);
    return entry;
  }

  function setBadge(node, text, tone) {
    node.textContent = text;
    node.className = 'badge ' + tone;
  }

  function consumerTone(status) {
    if (status === 'OK') return 'ok';
    if (status === 'WARN') return 'warn';
    if (status === 'STALL' || status === 'STOP' || status === 'REWIND') return 'bad';
    return '';
  }

  function setValue(node, value, text) {
    node.textContent = text;
    node.setAttribute('data-value', value === null || value === undefined ? '' : String(value));
  }

  function describeTopics(topics) {
    return Array.isArray(topics) ? topics.join(', ') : 'pattern ' + topics.pattern;
  }

  function updateCard(entry, target) {
    entry.kind.textContent = target.kind;
    setBadge(entry.consumer, 'consumer ' + (target.consumer.status || 'unknown'), consumerTone(target.consumer.status));
    if (target.freshness.stale) setBadge(entry.freshness, target.freshness.evaluatedAtMs === null ? 'no evaluation yet' : 'stale data', 'bad');
    else if (target.lag.messages === null) setBadge(entry.freshness, 'no lag data', 'bad');
    else setBadge(entry.freshness, target.freshness.partialData ? 'partial data' : 'fresh', target.freshness.partialData ? 'warn' : 'ok');
    const outcome = target.lastOutcome;
    if (outcome === null) setBadge(entry.outcome, 'waiting', '');
    else if (outcome.kind === 'failed') setBadge(entry.outcome, 'evaluation failed', 'bad');
    else setBadge(entry.outcome, 'last evaluation: ' + outcome.kind + (outcome.action && outcome.action !== 'none' ? ' ' + outcome.action : ''), 'plain');
    entry.subtitle.textContent = 'group ' + target.consumerGroup + ' · cluster ' + target.cluster + ' · topics ' + describeTopics(target.topics) +
      ' · replicas ' + target.replicas.min + '–' + target.replicas.max +
      (target.lag.targetSeconds === null ? '' : ' · lag target ' + target.lag.targetSeconds + ' s') +
      (target.lag.targetMessagesPerReplica === null ? '' : ' · ' + target.lag.targetMessagesPerReplica + ' messages per replica');
    setValue(entry.lagSeconds, target.lag.seconds, formatSeconds(target.lag.seconds));
    setValue(entry.lagMessages, target.lag.messages, formatCount(target.lag.messages));
    setValue(entry.replicas, target.replicas.current, formatCount(target.replicas.current) + ' / ' + formatCount(target.replicas.desired));
    setValue(entry.dataAge, target.freshness.dataAgeSeconds, formatSeconds(target.freshness.dataAgeSeconds));
    const problems = target.freshness.collectionErrors.slice();
    if (outcome !== null && outcome.failure) problems.unshift(outcome.failure);
    if (target.decisionsError) problems.push(target.decisionsError);
    entry.errors.replaceChildren(...problems.map((text) => element('li', '', text)));
    const newest = target.decisions[0];
    if (newest) fillDecision(entry.lastDecision, newest.time * 1000, newest.action, newest.current, newest.desired, newest.actuation ? newest.actuation.status : null, newest.reasons);
    else entry.lastDecision.replaceChildren(element('span', 'when', target.decisionsError ? 'journal unreadable' : 'none journaled yet'));
  }

  /** One decision on one line: time, change, what the actuator did, its reason codes (messages on hover), the final reason's message. */
  function fillDecision(node, timeMs, action, current, desired, actuation, reasons) {
    node.replaceChildren();
    node.append(element('span', 'when', formatClock(timeMs) + ' '));
    node.append(element('strong', '', action + ' ' + current + ' → ' + desired));
    if (actuation) node.append(document.createTextNode(' (' + actuation + ')'));
    for (const reason of reasons) {
      node.append(document.createTextNode(' '));
      const code = element('span', 'code', reason.code);
      code.title = reason.message;
      node.append(code);
    }
    const last = reasons[reasons.length - 1];
    if (last) node.append(document.createTextNode(' — ' + last.message));
  }

  function markerItem(marker) {
    const item = element('li');
    fillDecision(item, marker.timeMs, marker.action, marker.current, marker.desired,
      marker.applied ? (marker.actuation ? marker.actuation.status : 'applied') : 'not applied: follower', marker.reasons);
    return item;
  }

  function listChanges(entry, startMs) {
    const shown = entry.markers.filter((marker) => marker.timeMs >= startMs).slice(-8).reverse();
    entry.decisionList.replaceChildren(...shown.map(markerItem));
    if (shown.length === 0) entry.decisionList.append(element('li', 'when', 'no scaling change in this range'));
  }

  function markerDescription(marker) {
    const lines = [formatClock(marker.timeMs) + ' ' + marker.action + ' ' + marker.current + ' → ' + marker.desired +
      (marker.applied ? ' (' + (marker.actuation ? marker.actuation.status : 'applied') + ')' : ' (decided, not applied: this replica did not lead)')];
    for (const reason of marker.reasons) lines.push(reason.code + ': ' + reason.message);
    return lines.join('\n');
  }

  function drawPlot(svg, options) {
    svg.replaceChildren();
    const [start, end] = options.domain;
    const innerWidth = WIDTH - MARGIN.left - MARGIN.right;
    const innerHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
    let maxValue = options.floor || 0;
    for (const point of options.points) {
      for (const series of options.series) {
        const value = point[series.key];
        if (typeof value === 'number' && Number.isFinite(value) && value > maxValue) maxValue = value;
      }
    }
    if (typeof options.targetValue === 'number' && options.targetValue > maxValue) maxValue = options.targetValue;
    // Whole-number axes get at least 0, 1, 2 as ticks, so the middle one is never a rounded 0.5.
    const top = niceMax(options.integer ? Math.max(maxValue, 2) : maxValue);
    const toX = (timeMs) => MARGIN.left + ((timeMs - start) / (end - start)) * innerWidth;
    const toY = (value) => MARGIN.top + innerHeight - (value / top) * innerHeight;
    for (const fraction of [0, 0.5, 1]) {
      const value = top * fraction;
      const y = toY(value);
      svg.append(svgElement('line', { class: fraction === 0 ? 'axis' : 'grid', x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y, y2: y }));
      const label = svgElement('text', { class: 'tick', x: MARGIN.left - 6, y: y + 3, 'text-anchor': 'end' });
      label.textContent = options.integer ? formatCount(value) : (value < 10 ? String(Math.round(value * 10) / 10) : formatCount(value));
      svg.append(label);
    }
    svg.append(svgElement('line', { class: 'axis', x1: MARGIN.left, x2: MARGIN.left, y1: MARGIN.top, y2: MARGIN.top + innerHeight }));
    const step = timeTickStep(end - start);
    for (let tick = Math.ceil(start / step) * step; tick <= end; tick += step) {
      const x = toX(tick);
      svg.append(svgElement('line', { class: 'grid', x1: x, x2: x, y1: MARGIN.top, y2: MARGIN.top + innerHeight }));
      const label = svgElement('text', { class: 'tick', x: x, y: HEIGHT - 6, 'text-anchor': 'middle' });
      label.textContent = step < 60 * 1000 ? formatClock(tick) : formatClock(tick).slice(0, 5);
      svg.append(label);
    }
    if (typeof options.targetValue === 'number') {
      const y = toY(options.targetValue);
      svg.append(svgElement('line', { class: 'target-line', x1: MARGIN.left, x2: WIDTH - MARGIN.right, y1: y, y2: y }));
    }
    const visible = options.points.filter((point) => point.timeMs >= start);
    let drawnTotal = 0;
    for (const series of options.series) {
      const path = seriesPath(visible, series.key, toX, toY, series.step);
      drawnTotal += path.drawn;
      const node = svgElement('path', { class: 'series ' + series.key, d: path.d || 'M0 0', 'data-series': series.key, 'data-points': path.drawn, 'data-segments': path.segments });
      svg.append(node);
    }
    for (const marker of options.markers || []) {
      if (marker.timeMs < start) continue;
      const x = toX(marker.timeMs);
      const y = toY(marker.desired);
      const shape = marker.action === 'scaleUp'
        ? 'M' + x + ' ' + (y - 8) + 'L' + (x - 6) + ' ' + (y + 3) + 'L' + (x + 6) + ' ' + (y + 3) + 'Z'
        : 'M' + x + ' ' + (y + 8) + 'L' + (x - 6) + ' ' + (y - 3) + 'L' + (x + 6) + ' ' + (y - 3) + 'Z';
      const node = svgElement('path', { class: 'marker ' + marker.action + (marker.applied ? '' : ' unapplied'), d: shape, 'data-marker': marker.action });
      const tooltip = svgElement('title', {});
      tooltip.textContent = markerDescription(marker);
      node.append(tooltip);
      svg.append(node);
    }
    if (drawnTotal === 0) {
      const note = svgElement('text', { class: 'nodata', x: MARGIN.left + innerWidth / 2, y: MARGIN.top + innerHeight / 2, 'text-anchor': 'middle' });
      note.textContent = 'no data in this range yet';
      svg.append(note);
    }
  }

  function drawPlots(entry, target, nowMs, windowMillis) {
    const domain = timeDomain(entry.points, nowMs, windowMillis);
    drawPlot(entry.plots.lagSeconds, { domain: domain, points: entry.points, series: [{ key: 'lagSeconds' }], targetValue: target.lag.targetSeconds });
    drawPlot(entry.plots.lagMessages, { domain: domain, points: entry.points, series: [{ key: 'lagMessages' }], integer: true });
    drawPlot(entry.plots.replicas, {
      domain: domain, points: entry.points, integer: true, floor: target.replicas.max,
      series: [{ key: 'current', step: true }, { key: 'desired', step: true }], markers: entry.markers,
    });
    listChanges(entry, domain[0]);
  }

  async function getJson(url) {
    const response = await fetch(url, { cache: 'no-store' });
    let body = null;
    try { body = await response.json(); } catch (error) { body = null; }
    if (!response.ok) {
      const detail = body && typeof body.error === 'string' ? body.error : 'no explanation';
      throw new Error(url + ' answered ' + response.status + ': ' + detail);
    }
    return body;
  }

  async function loadHistory(entry, name, windowMillis, nowMs) {
    const since = entry.lastTimeMs === null ? '' : '&since=' + entry.lastTimeMs;
    const history = await getJson('/api/status/history?target=' + encodeURIComponent(name) + since);
    for (const point of history.points) entry.points.push(point);
    for (const marker of history.markers) entry.markers.push(marker);
    const last = entry.points[entry.points.length - 1];
    if (last) entry.lastTimeMs = last.timeMs;
    const cut = nowMs - windowMillis;
    while (entry.points.length > 0 && entry.points[0].timeMs < cut) entry.points.shift();
    while (entry.markers.length > 0 && entry.markers[0].timeMs < cut) entry.markers.shift();
  }

  let refreshes = 0;

  async function refresh() {
    const problem = document.getElementById('problem');
    try {
      const status = await getJson('/api/status');
      const windowMillis = status.history.windowSeconds * 1000;
      document.getElementById('instance').textContent = 'v' + status.version + ' · ' + status.instance.identity + ' · ' +
        (status.instance.leading ? 'leader (applies decisions)' : 'follower (decides, does not apply)' +
          (status.leader ? '; leader: ' + status.leader.identity + ' (term ' + status.leader.term + ', from the journal)' : '; leader unknown'));
      const main = document.getElementById('targets');
      const empty = document.getElementById('empty');
      if (empty !== null) {
        if (status.targets.length === 0) empty.textContent = 'No targets configured.';
        else empty.remove();
      }
      for (const target of status.targets) {
        const entry = cards.get(target.name) || createCard(target.name);
        if (!entry.card.isConnected) main.append(entry.card);
        updateCard(entry, target);
        await loadHistory(entry, target.name, windowMillis, status.generatedAtMs);
        drawPlots(entry, target, status.generatedAtMs, windowMillis);
      }
      document.getElementById('updated').textContent = 'updated ' + formatClock(status.generatedAtMs);
      problem.hidden = true;
      refreshes += 1;
      document.body.setAttribute('data-refreshes', String(refreshes));
      document.body.setAttribute('data-generated-at', String(status.generatedAtMs));
    } catch (error) {
      problem.textContent = 'Cannot read lagpilot\'s status: ' + (error instanceof Error ? error.message : String(error)) + ' (retrying)';
      problem.hidden = false;
    } finally {
      setTimeout(refresh, POLL_MILLIS);
    }
  }

  void refresh();
})();
`;
