// What an alert route's planned actions do to the control loop: evaluate a target now, put in or
// take out a raised minimum (and evaluate, so the change takes effect at once). The daemon and
// the alert-reaction benchmark run the same executor.
import type { Reconciler } from '../engine/reconciler.ts';
import type { MinimumHolds } from '../engine/minimum-holds.ts';
import { errorMessage, type Logger } from '../logging/logger.ts';
import type { PlannedAction } from './alert-routes.ts';

/**
 * Runs what an alert route planned. A firing alert gets its target evaluated now rather than at
 * its next tick (a lag alert must not wait out an interval); a raised minimum is put in before
 * that evaluation and taken out when the alert resolves, which asks for one more evaluation so
 * the count may come back down (through the usual stabilization and cooldowns).
 */
export function alertActionExecutor(reconciler: Reconciler, holds: MinimumHolds, logger: Logger): (action: PlannedAction) => void {
  return (action) => {
    switch (action.type) {
      case 'evaluate':
        evaluateOnAlert(reconciler, action.target, action.route, logger);
        return;
      case 'raiseMinReplicas':
        holds.raise(action.target, action.hold).then(
          () => {
            logger.info('alert raises the minimum of a target', { target: action.target, route: action.route, minReplicas: action.hold.minReplicas, until: new Date(action.hold.untilMillis).toISOString(), cause: action.hold.cause });
            evaluateOnAlert(reconciler, action.target, action.route, logger);
          },
          (error: unknown) => { logger.error('alert could not raise the minimum of a target', { target: action.target, route: action.route, error: errorMessage(error) }); },
        );
        return;
      case 'releaseMinReplicas':
        holds.release(action.target, action.key).then(
          (wasInForce) => {
            if (!wasInForce) {
              logger.info('resolved alert held no minimum (never seen firing, or lapsed)', { target: action.target, route: action.route, hold: action.key });
              return;
            }
            logger.info('resolved alert ends the raised minimum of a target', { target: action.target, route: action.route, hold: action.key });
            evaluateOnAlert(reconciler, action.target, action.route, logger);
          },
          // The hold then lapses at its maxDuration.
          (error: unknown) => { logger.error('resolved alert could not end the raised minimum of a target', { target: action.target, route: action.route, hold: action.key, error: errorMessage(error) }); },
        );
        return;
    }
  };
}

// At debug level: the alert is logged when it arrives, the decision (or the failure) by the
// reconciler; these lines only tie the two together, and an alert storm should not triple the log.
function evaluateOnAlert(reconciler: Reconciler, target: string, route: string, logger: Logger): void {
  logger.debug('alert asks for an evaluation now', { target, route });
  reconciler.evaluateNow(target).then(
    (outcome) => { logger.debug('alert evaluation done', { target, route, outcome: outcome.kind, ...(outcome.kind === 'failed' ? { reason: outcome.reason } : { action: outcome.decision.action, desired: outcome.decision.desired }) }); },
    (error: unknown) => { logger.error('alert evaluation failed', { target, route, error: errorMessage(error) }); },
  );
}
