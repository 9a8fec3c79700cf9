// `alerts`: the Alertmanager webhook (POST /webhooks/alertmanager): who may call it, how repeated
// deliveries are recognised, and the routes that turn alerts into actions of the control loop.
import { z } from 'zod';
import { duration, resourceName } from './common.ts';
import { parseMatcher } from '../../server/alert-matchers.ts';

const matcherSchema = z
  .string()
  .min(1)
  .superRefine((text, context) => {
    const parsed = parseMatcher(text);
    if (!parsed.ok) context.addIssue({ code: 'custom', message: parsed.message });
  })
  .describe('An Alertmanager-style matcher on the alert\'s labels: name="value", name!="value", name=~"regex" or name!~"regex" (regexes match the whole value).');

/** Where an action finds its target: named in the route, or read from a label of the alert. */
const targetChoice = {
  target: resourceName.optional().describe('The target (a name in targets) the action applies to.'),
  targetLabel: z
    .string()
    .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, { error: 'is not a Prometheus label name' })
    .optional()
    .describe('Take the target\'s name from this label of the alert instead (e.g. lagpilot_target).'),
};

const evaluateActionSchema = z
  .strictObject({
    type: z.literal('evaluate').describe('Evaluate the target now.'),
    ...targetChoice,
  })
  .describe('Evaluate the target now instead of at its next tick (a firing alert only; a resolution asks nothing).');

const raiseMinReplicasActionSchema = z
  .strictObject({
    type: z.literal('raiseMinReplicas').describe('Hold a higher minimum while the alert fires.'),
    ...targetChoice,
    minReplicas: z.int().min(1).describe('The target\'s minimum while the alert fires (never above its replicas.max).'),
    maxDuration: duration('The raised minimum lapses after this long even if no resolution arrives (a lost webhook must not pin the count).', '2h'),
  })
  .describe('While the alert fires, the target keeps at least minReplicas; the target is evaluated when the alert fires and again when it resolves.');

export const alertActionSchema = z.discriminatedUnion('type', [evaluateActionSchema, raiseMinReplicasActionSchema]);

export type AlertActionConfig = z.output<typeof alertActionSchema>;

const routeSchema = z
  .strictObject({
    name: resourceName.describe('Names the route in metrics and logs.'),
    matchers: z.array(matcherSchema).default([]).describe('Every matcher must match for the route to apply; none matches every alert.'),
    action: alertActionSchema,
    continue: z.boolean().default(false).describe('Also try the routes after this one when it matches (as in Alertmanager); otherwise the first matching route ends the search.'),
  })
  .superRefine((route, context) => {
    if ((route.action.target === undefined) === (route.action.targetLabel === undefined)) {
      context.addIssue({ code: 'custom', path: ['action'], message: 'set one of target or targetLabel' });
    }
  })
  .describe('Which alerts (by their labels) cause which action.');

export type AlertRouteConfig = z.output<typeof routeSchema>;

/** With no routes configured: an alert that names a target in this label has it evaluated at once. */
export const defaultAlertTargetLabel = 'lagpilot_target';

const secretText = z.string().min(16, { error: 'must be at least 16 characters (use ${ENV_VAR} to keep it out of the file)' });

const authSchema = z
  .strictObject({
    bearerToken: secretText
      .optional()
      .describe('Requests must carry "Authorization: Bearer <token>" (Alertmanager: http_config.authorization.credentials). Use ${ENV_VAR}.'),
    hmac: z
      .strictObject({
        secret: secretText.describe('Shared secret of the HMAC-SHA256 over the raw body. Use ${ENV_VAR}.'),
        header: z.string().regex(/^[A-Za-z0-9-]+$/, { error: 'is not an HTTP header name' }).default('X-Lagpilot-Signature').describe('Header carrying the signature as "sha256=<hex>" (or the bare hex).'),
      })
      .optional()
      .describe('Requests must be signed (for senders behind a signing proxy).'),
  })
  .describe('Credentials a delivery must present; with both set, both are required. With neither, the endpoint is open (a warning is logged at start).');

export const alertsSchema = z
  .strictObject({
    auth: authSchema.prefault({}),
    dedupWindow: duration('An alert delivered again with the same fingerprint and status within this window causes no new action.', '5m'),
    dedupMaxEntries: z.int().min(1).max(1_000_000).default(10_000).describe('Fingerprints remembered for deduplication; the least recently seen are forgotten first.'),
    routes: z
      .array(routeSchema)
      .default([{ name: 'target-label', matchers: [`${defaultAlertTargetLabel}=~".+"`], action: { type: 'evaluate', targetLabel: defaultAlertTargetLabel }, continue: false }])
      .describe(`Tried in order. The default evaluates the target named by an alert's ${defaultAlertTargetLabel} label.`),
  })
  .superRefine((alerts, context) => {
    const seen = new Set<string>();
    alerts.routes.forEach((route, index) => {
      if (seen.has(route.name)) context.addIssue({ code: 'custom', path: ['routes', index, 'name'], message: `duplicate route name "${route.name}"` });
      seen.add(route.name);
    });
  })
  .describe('Alertmanager webhooks: authentication, deduplication and routes to actions.');

export type AlertsConfig = z.output<typeof alertsSchema>;

interface TargetBounds {
  name: string;
  replicas: { max: number };
}

/** Rules that need the targets: a route's named target exists, a raised minimum fits under its maximum. */
export function alertRouteProblems(alerts: AlertsConfig, targets: readonly TargetBounds[]): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const byName = new Map(targets.map((target) => [target.name, target]));
  alerts.routes.forEach((route, index) => {
    const { action } = route;
    if (action.target === undefined) return;
    const target = byName.get(action.target);
    if (target === undefined) {
      const known = targets.length === 0 ? 'none is defined' : `defined: ${targets.map((entry) => entry.name).join(', ')}`;
      problems.push({ path: ['alerts', 'routes', index, 'action', 'target'], message: `"${action.target}" is not a target in targets (${known})` });
      return;
    }
    if (action.type === 'raiseMinReplicas' && action.minReplicas > target.replicas.max) {
      problems.push({ path: ['alerts', 'routes', index, 'action', 'minReplicas'], message: `${action.minReplicas} exceeds the replicas.max (${target.replicas.max}) of target ${target.name}` });
    }
  });
  return problems;
}
