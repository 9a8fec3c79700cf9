import { expect } from 'chai';
import { alertsSchema } from '../config/schema/alerts.ts';
import { redactSecrets } from '../logging/redact.ts';
import { AlertDeduplicator } from './alert-dedup.ts';
import { parseMatcher } from './alert-matchers.ts';
import { AlertRouter, type RoutedAlert } from './alert-routes.ts';

function matches(matcher: string, labels: Record<string, string>): boolean {
  const parsed = parseMatcher(matcher);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.matcher.matches(labels);
}

describe('alert matchers (Alertmanager syntax)', () => {
  it('matches equality, inequality and anchored regexes, quoted or not', () => {
    expect(matches('severity="critical"', { severity: 'critical' })).to.equal(true);
    expect(matches('severity=critical', { severity: 'critical' })).to.equal(true);
    expect(matches('severity != "critical"', { severity: 'warning' })).to.equal(true);
    expect(matches('severity=~"warning|critical"', { severity: 'critical' })).to.equal(true);
    expect(matches('severity=~"crit"', { severity: 'critical' }), 'anchored: a part does not match').to.equal(false);
    expect(matches('alertname!~"Kafka.*"', { alertname: 'KafkaLagHigh' })).to.equal(false);
    expect(matches('group=~"orders-\\d+"', { group: 'orders-12' })).to.equal(true);
    expect(matches('value="say \\"hi\\""', { value: 'say "hi"' })).to.equal(true);
  });

  it('reads a missing label as empty, as Alertmanager does', () => {
    expect(matches('team=""', {})).to.equal(true);
    expect(matches('team!=""', {})).to.equal(false);
    expect(matches('team=~".+"', {})).to.equal(false);
  });

  it('refuses malformed matchers with a message that shows the expected form', () => {
    for (const text of ['severity', 'severity=="x"', '1abc="x"', 'a="unterminated', 'a=~"("']) {
      const parsed = parseMatcher(text);
      expect(parsed.ok, text).to.equal(false);
      if (!parsed.ok) expect(parsed.message).to.include(text);
    }
  });
});

describe('alert routes', () => {
  const alert = (labels: Record<string, string>, status: RoutedAlert['status'] = 'firing', fingerprint = 'fp1'): RoutedAlert => ({ labels, status, fingerprint });
  const routes = alertsSchema.parse({
    routes: [
      { name: 'lag-critical', matchers: ['alertname="KafkaConsumerLagHigh"', 'severity="critical"'], action: { type: 'raiseMinReplicas', targetLabel: 'lagpilot_target', minReplicas: 6, maxDuration: '30m' }, continue: true },
      { name: 'lag', matchers: ['alertname=~"KafkaConsumerLag.*"'], action: { type: 'evaluate', targetLabel: 'lagpilot_target' } },
      { name: 'payments-always', matchers: ['team="payments"'], action: { type: 'evaluate', target: 'payments' } },
    ],
  }).routes;
  const router = new AlertRouter(routes, ['orders', 'payments']);

  it('runs the first matching route, and the next ones only after a route that continues', () => {
    const critical = router.route(alert({ alertname: 'KafkaConsumerLagHigh', severity: 'critical', lagpilot_target: 'orders', team: 'payments' }), 1_000);
    expect(critical.matched).to.deep.equal(['lag-critical', 'lag']);
    expect(critical.actions).to.deep.equal([
      { type: 'raiseMinReplicas', route: 'lag-critical', target: 'orders', hold: { key: 'lag-critical/fp1', minReplicas: 6, untilMillis: 1_000 + 30 * 60_000, cause: 'alert KafkaConsumerLagHigh [fp1] via route lag-critical' } },
      { type: 'evaluate', route: 'lag', target: 'orders' },
    ]);
    const team = router.route(alert({ alertname: 'Other', team: 'payments' }), 0);
    expect(team.actions).to.deep.equal([{ type: 'evaluate', route: 'payments-always', target: 'payments' }]);
    expect(router.route(alert({ alertname: 'Unrelated' }), 0)).to.deep.equal({ actions: [], problems: [], matched: [] });
  });

  it('ends what a firing alert started when it resolves; an evaluate route asks nothing then', () => {
    const resolved = router.route(alert({ alertname: 'KafkaConsumerLagHigh', severity: 'critical', lagpilot_target: 'orders' }, 'resolved'), 0);
    expect(resolved.actions).to.deep.equal([{ type: 'releaseMinReplicas', route: 'lag-critical', target: 'orders', key: 'lag-critical/fp1' }]);
  });

  it('reports a missing or unknown target label instead of acting', () => {
    const missing = router.route(alert({ alertname: 'KafkaConsumerLagHigh' }), 0);
    expect(missing.actions).to.deep.equal([]);
    expect(missing.problems).to.deep.equal([{ route: 'lag', reason: 'missingTargetLabel', label: 'lagpilot_target', message: 'the alert has no lagpilot_target label naming the target' }]);
    const unknown = router.route(alert({ alertname: 'KafkaConsumerLagHigh', lagpilot_target: 'nope' }), 0);
    expect(unknown.problems[0]).to.include({ reason: 'unknownTarget', target: 'nope' });
    expect(unknown.problems[0]?.message).to.equal('lagpilot_target="nope" is not a configured target (configured: orders, payments)');
  });

  it('defaults to evaluating the target an alert names in lagpilot_target', () => {
    const defaults = new AlertRouter(alertsSchema.parse({}).routes, ['orders']);
    expect(defaults.route(alert({ alertname: 'X', lagpilot_target: 'orders' }), 0).actions).to.deep.equal([{ type: 'evaluate', route: 'target-label', target: 'orders' }]);
    expect(defaults.route(alert({ alertname: 'X' }), 0).matched).to.deep.equal([]);
  });

  it('refuses routes without exactly one of target and targetLabel, and bad matchers, naming the field', () => {
    const neither = alertsSchema.safeParse({ routes: [{ name: 'r', action: { type: 'evaluate' } }] });
    expect(neither.success).to.equal(false);
    expect(neither.error?.issues[0]).to.deep.include({ path: ['routes', 0, 'action'], message: 'set one of target or targetLabel' });
    const badMatcher = alertsSchema.safeParse({ routes: [{ name: 'r', matchers: ['x=~"("'], action: { type: 'evaluate', target: 'a' } }] });
    expect(badMatcher.error?.issues[0]?.path).to.deep.equal(['routes', 0, 'matchers', 0]);
    const shortToken = alertsSchema.safeParse({ auth: { bearerToken: 'short' } });
    expect(shortToken.error?.issues[0]?.message).to.include('at least 16 characters');
  });

  it('keeps the webhook credentials out of logged config', () => {
    const alerts = alertsSchema.parse({ auth: { bearerToken: 'bearer-secret-value-1234', hmac: { secret: 'hmac-secret-value-5678' } } });
    const logged = JSON.stringify(redactSecrets({ alerts }));
    expect(logged).not.to.include('bearer-secret-value-1234').and.not.to.include('hmac-secret-value-5678');
    expect(logged).to.include('"bearerToken":"[REDACTED]"').and.to.include('"header":"X-Lagpilot-Signature"');
  });
});

describe('alert deduplication', () => {
  it('drops a repeat of the same fingerprint and status within the window, not after it', () => {
    const dedup = new AlertDeduplicator(60_000, 100);
    expect(dedup.isRepeat({ fingerprint: 'a', status: 'firing' }, 0)).to.equal(false);
    expect(dedup.isRepeat({ fingerprint: 'a', status: 'firing' }, 30_000)).to.equal(true);
    expect(dedup.isRepeat({ fingerprint: 'a', status: 'firing' }, 59_999), 'repeats do not extend the window').to.equal(true);
    expect(dedup.isRepeat({ fingerprint: 'a', status: 'firing' }, 60_000)).to.equal(false);
  });

  it('treats a change of status as new each time (firing, resolved, firing again)', () => {
    const dedup = new AlertDeduplicator(60_000, 100);
    expect(dedup.isRepeat({ fingerprint: 'a', status: 'firing' }, 0)).to.equal(false);
    expect(dedup.isRepeat({ fingerprint: 'a', status: 'resolved' }, 1)).to.equal(false);
    expect(dedup.isRepeat({ fingerprint: 'a', status: 'resolved' }, 2)).to.equal(true);
    expect(dedup.isRepeat({ fingerprint: 'a', status: 'firing' }, 3)).to.equal(false);
  });

  it('forgets the least recently seen fingerprint beyond its capacity', () => {
    const dedup = new AlertDeduplicator(60_000, 2);
    dedup.isRepeat({ fingerprint: 'a', status: 'firing' }, 0);
    dedup.isRepeat({ fingerprint: 'b', status: 'firing' }, 0);
    dedup.isRepeat({ fingerprint: 'a', status: 'firing' }, 1);
    dedup.isRepeat({ fingerprint: 'c', status: 'firing' }, 2);
    expect(dedup.size).to.equal(2);
    expect(dedup.isRepeat({ fingerprint: 'a', status: 'firing' }, 3), 'a was seen recently: kept').to.equal(true);
    expect(dedup.isRepeat({ fingerprint: 'b', status: 'firing' }, 3), 'b was the least recent: forgotten').to.equal(false);
  });
});
