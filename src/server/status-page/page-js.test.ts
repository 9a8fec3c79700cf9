// The page's script is plain JavaScript in a string; here it runs in a bare VM context (no
// document), where it only defines its pure helpers, and those are checked. The browser test
// (test/integration/status-page.test.ts) runs the whole of it in Chromium.
import { expect } from 'chai';
import { runInNewContext } from 'node:vm';
import { statusPageJs } from './page-js.ts';

interface PlotPoint { timeMs: number; [key: string]: number | null }

interface PageHelpers {
  formatCount(value: number | null): string;
  formatSeconds(value: number | null): string;
  niceMax(value: number): number;
  timeDomain(points: PlotPoint[], nowMs: number, windowMillis: number): [number, number];
  seriesPath(points: PlotPoint[], key: string, toX: (time: number) => number, toY: (value: number) => number, step?: boolean): { d: string; drawn: number; segments: number };
  timeTickStep(spanMillis: number): number;
}

function helpers(): PageHelpers {
  const context: { lagpilotStatusPage?: PageHelpers } = {};
  runInNewContext(statusPageJs, context);
  if (context.lagpilotStatusPage === undefined) throw new Error('the script defined no helpers without a document');
  return context.lagpilotStatusPage;
}

describe('status page script', () => {
  const page = helpers();
  const identity = (value: number): number => value;

  it('never turns data into markup: no HTML parsing sinks in the script', () => {
    for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function']) {
      expect(statusPageJs, sink).not.to.include(sink);
    }
  });

  it('draws a line through known values and breaks it where a value is missing', () => {
    const points = [
      { timeMs: 0, lag: 1 },
      { timeMs: 10, lag: 2 },
      { timeMs: 20, lag: null },
      { timeMs: 30, lag: 4 },
      { timeMs: 40, lag: 5 },
    ];
    expect(page.seriesPath(points, 'lag', identity, identity)).to.deep.equal({ d: 'M0.0 1.0L10.0 2.0M30.0 4.0L40.0 5.0', drawn: 4, segments: 2 });
    expect(page.seriesPath(points, 'lag', identity, identity, true).d).to.equal('M0.0 1.0H10.0V2.0M30.0 4.0H40.0V5.0');
    expect(page.seriesPath([], 'lag', identity, identity)).to.deep.equal({ d: '', drawn: 0, segments: 0 });
  });

  it('rounds axis tops up to 1, 2 or 5 times a power of ten', () => {
    expect([0, -3, 0.3, 1, 1.5, 3, 7, 15, 4200].map((value) => page.niceMax(value))).to.deep.equal([1, 1, 0.5, 1, 2, 5, 10, 20, 5000]);
  });

  it('plots at least a minute and at most the window, ending now', () => {
    const minute = 60_000;
    expect(page.timeDomain([], 100 * minute, 60 * minute)).to.deep.equal([99 * minute, 100 * minute]);
    expect(page.timeDomain([{ timeMs: 80 * minute }], 100 * minute, 60 * minute)).to.deep.equal([80 * minute, 100 * minute]);
    expect(page.timeDomain([{ timeMs: 0 }], 100 * minute, 60 * minute)).to.deep.equal([40 * minute, 100 * minute]);
    expect([1, 4, 10, 25, 60].map((minutes) => page.timeTickStep(minutes * minute) / minute)).to.deep.equal([0.25, 1, 5, 10, 15]);
  });

  it('formats figures for reading at a glance, with a dash for unknown', () => {
    expect([page.formatCount(null), page.formatCount(1234567.4), page.formatSeconds(null), page.formatSeconds(4.56), page.formatSeconds(1234.5)])
      .to.deep.equal(['–', '1,234,567', '–', '4.6', '1,235']);
  });
});
