// The status page's style: system fonts only (no downloads), colours that keep their meaning
// across the page (lag blue, messages violet, current replicas green, desired orange).
export const statusPageCss = `
:root {
  --ink: #1d2430; --muted: #5b6575; --line: #d8dde6; --card: #ffffff; --page: #f3f5f8;
  --lag: #1f6fd1; --messages: #7a3fc4; --current: #1b8a4b; --desired: #d9730d;
  --ok: #1b8a4b; --warn: #b7791f; --bad: #c53030; --unknown: #718096;
}
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--page); }
.top { display: flex; align-items: baseline; gap: 16px; padding: 12px 20px; background: #1d2430; color: #fff; }
.top h1 { margin: 0; font-size: 20px; }
.top .instance, .top .updated { color: #c9d1dc; }
.top .updated { margin-left: auto; }
.problem { margin: 12px 20px 0; padding: 10px 14px; border-radius: 6px; background: #fde8e8; color: var(--bad); font-weight: 600; }
main { padding: 12px 20px; display: grid; gap: 16px; }
.empty { color: var(--muted); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; }
.card-head { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; }
.card-head h2 { margin: 0 8px 0 0; font-size: 18px; }
.badge { display: inline-block; padding: 2px 8px; border-radius: 999px; font-size: 12px; font-weight: 600; color: #fff; background: var(--unknown); }
.badge.ok { background: var(--ok); } .badge.warn { background: var(--warn); } .badge.bad { background: var(--bad); }
.badge.plain { background: #e7ebf1; color: var(--ink); font-weight: 500; }
.subtitle { color: var(--muted); margin: 4px 0 10px; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; margin-bottom: 10px; }
.figure { border-left: 4px solid var(--line); padding: 2px 10px; }
.figure .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.figure .value { font-size: 24px; font-weight: 700; font-variant-numeric: tabular-nums; }
.figure .unit { font-size: 13px; color: var(--muted); font-weight: 500; margin-left: 4px; }
.figure.lag { border-color: var(--lag); } .figure.messages { border-color: var(--messages); }
.figure.replicas { border-color: var(--current); } .figure.fresh { border-color: var(--unknown); }
.plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 12px; }
.plot h3 { margin: 0 0 4px; font-size: 13px; font-weight: 600; }
.plot h3 .legend { font-weight: 400; color: var(--muted); margin-left: 6px; }
.plot svg { width: 100%; height: auto; display: block; background: #fbfcfd; border: 1px solid var(--line); border-radius: 4px; }
.plot .axis { stroke: #aab3c0; stroke-width: 1; }
.plot .grid { stroke: #e6eaf0; stroke-width: 1; }
.plot .tick { fill: var(--muted); font-size: 12px; font-variant-numeric: tabular-nums; }
.plot .series { fill: none; stroke-width: 2; }
.plot .series.lagSeconds { stroke: var(--lag); } .plot .series.lagMessages { stroke: var(--messages); }
.plot .series.current { stroke: var(--current); } .plot .series.desired { stroke: var(--desired); stroke-dasharray: 5 3; }
.plot .target-line { stroke: var(--bad); stroke-width: 1; stroke-dasharray: 3 3; }
.plot .nodata { fill: var(--muted); font-size: 12px; }
.marker.scaleUp { fill: var(--desired); } .marker.scaleDown { fill: var(--lag); }
.marker.unapplied { fill: #fff; stroke: var(--desired); stroke-width: 1.5; }
.marker { cursor: help; }
.decisions { margin-top: 10px; }
.decisions h3 { margin: 0 0 4px; font-size: 13px; }
.decisions ol { margin: 0; padding-left: 18px; }
.decisions li { margin: 2px 0; }
.decisions .last-decision { margin: 0 0 8px; }
.decisions .when { color: var(--muted); font-variant-numeric: tabular-nums; }
.decisions .code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; background: #eef1f5; padding: 0 4px; border-radius: 3px; }
.errors { color: var(--bad); margin: 6px 0 0; padding-left: 18px; }
footer { color: var(--muted); padding: 8px 20px 20px; }
`;
