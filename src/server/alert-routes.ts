// From an alert to the actions it asks for: the configured routes are tried in order, as in
// Alertmanager (the first match ends the search unless it says `continue`), and each matching
// route's action becomes a planned action on a resolved target. Pure: what the actions do to the
// loop is the executor's business (the daemon's), so routes can be tested without one.
import type { AlertActionConfig, AlertRouteConfig } from '../config/schema/alerts.ts';
import type { MinimumHold } from '../engine/minimum-holds.ts';
import { matcherFrom, type LabelMatcher } from './alert-matchers.ts';

export interface RoutedAlert {
  status: 'firing' | 'resolved';
  labels: Readonly<Record<string, string>>;
  fingerprint: string;
}

/**
 * What an alert asks of the loop. A new kind of action is a new member here, a new action in
 * the config schema and a new case in the executor; the type checker finds every place.
 */
export type PlannedAction =
  | { type: 'evaluate'; route: string; target: string }
  | { type: 'raiseMinReplicas'; route: string; target: string; hold: MinimumHold }
  | { type: 'releaseMinReplicas'; route: string; target: string; key: string };

export type PlannedActionType = PlannedAction['type'];

export const plannedActionTypes: readonly PlannedActionType[] = ['evaluate', 'raiseMinReplicas', 'releaseMinReplicas'];

/** A route matched but its action cannot run; said in the log and counted. */
export interface RouteProblem {
  route: string;
  reason: 'missingTargetLabel' | 'unknownTarget';
  message: string;
  target?: string;
  label?: string;
}

export interface RoutingResult {
  actions: PlannedAction[];
  problems: RouteProblem[];
  /** Names of the routes that matched. */
  matched: string[];
}

interface CompiledRoute {
  name: string;
  matchers: LabelMatcher[];
  action: AlertActionConfig;
  continueAfterMatch: boolean;
}

export class AlertRouter {
  readonly #routes: CompiledRoute[];
  readonly #targets: ReadonlySet<string>;

  constructor(routes: readonly AlertRouteConfig[], targets: readonly string[]) {
    this.#routes = routes.map((route) => ({
      name: route.name,
      matchers: route.matchers.map(matcherFrom),
      action: route.action,
      continueAfterMatch: route.continue,
    }));
    this.#targets = new Set(targets);
  }

  get routeNames(): string[] {
    return this.#routes.map((route) => route.name);
  }

  route(alert: RoutedAlert, nowMillis: number): RoutingResult {
    const result: RoutingResult = { actions: [], problems: [], matched: [] };
    for (const route of this.#routes) {
      if (!route.matchers.every((matcher) => matcher.matches(alert.labels))) continue;
      result.matched.push(route.name);
      this.#plan(route, alert, nowMillis, result);
      if (!route.continueAfterMatch) break;
    }
    return result;
  }

  #plan(route: CompiledRoute, alert: RoutedAlert, nowMillis: number, result: RoutingResult): void {
    const { action } = route;
    const target = this.#target(route, alert, result);
    if (target === undefined) return;
    switch (action.type) {
      case 'evaluate':
        // A resolution asks nothing of an evaluate route: the next tick sees the new state.
        if (alert.status === 'firing') result.actions.push({ type: 'evaluate', route: route.name, target });
        return;
      case 'raiseMinReplicas': {
        const key = `${route.name}/${alert.fingerprint}`;
        if (alert.status === 'firing') {
          const cause = `alert ${alert.labels.alertname ?? '(no alertname)'} [${alert.fingerprint}] via route ${route.name}`;
          result.actions.push({ type: 'raiseMinReplicas', route: route.name, target, hold: { key, minReplicas: action.minReplicas, untilMillis: nowMillis + action.maxDuration, cause } });
        } else {
          result.actions.push({ type: 'releaseMinReplicas', route: route.name, target, key });
        }
        return;
      }
    }
  }

  #target(route: CompiledRoute, alert: RoutedAlert, result: RoutingResult): string | undefined {
    const { action } = route;
    if (action.target !== undefined) return action.target;
    const label = action.targetLabel ?? '';
    const named = alert.labels[label];
    if (named === undefined || named === '') {
      result.problems.push({ route: route.name, reason: 'missingTargetLabel', label, message: `the alert has no ${label} label naming the target` });
      return undefined;
    }
    if (!this.#targets.has(named)) {
      const configured = [...this.#targets].join(', ') || 'none';
      result.problems.push({ route: route.name, reason: 'unknownTarget', label, target: named, message: `${label}="${named}" is not a configured target (configured: ${configured})` });
      return undefined;
    }
    return named;
  }
}
