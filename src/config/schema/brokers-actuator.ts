// `targets[].actuator` of kind `brokers`: the Kafka broker count, with the partition moves that
// go with it (docs/brokers.md). The broker pool says how brokers are added and removed; the rest
// says how partitions move.
import { z } from 'zod';
import { duration } from './common.ts';

const brokerAddress = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { error: (issue) => `"${String(issue.input)}" is not a host:port broker address` });

const nodeId = z.int().min(0).max(2_147_483_647);

function kubernetesBrokerPoolSchema<Scale extends z.ZodType>(kubernetesScaleSchema: Scale) {
  return z
    .strictObject({
      kind: z.literal('kubernetes').describe('Brokers are the replicas of a StatefulSet or a KafkaNodePool.'),
      scale: kubernetesScaleSchema.describe('The kubernetesScale actuator section of the broker workload (its dryRun is set from this actuator\'s).'),
      firstNodeId: nodeId.default(0).describe('Node id of the workload\'s replica 0; replica i is node firstNodeId + i.'),
    })
    .describe('A broker pool on Kubernetes.');
}

const localBrokerNodeSchema = z
  .strictObject({
    nodeId: nodeId.describe('The broker\'s node.id.'),
    command: z.string().min(1).optional().describe('Executable that runs this broker in the foreground; unset for a broker lagpilot does not start (it is already running).'),
    args: z.array(z.string()).default([]).describe('Arguments of the command.'),
    cwd: z.string().min(1).optional().describe('Working directory of the command.'),
    env: z.record(z.string(), z.string()).default({}).describe('Variables added to lagpilot\'s environment for the command.'),
  })
  .describe('One broker of a local pool.');

const localProcessBrokerPoolSchema = z
  .strictObject({
    kind: z.literal('localProcess').describe('Brokers are processes on this machine.'),
    nodes: z.array(localBrokerNodeSchema).min(1).describe('Every broker of the pool, in the order they are added (removed in reverse).'),
    stopTimeout: duration('Time a broker gets after SIGTERM (a clean shutdown) before SIGKILL.', '60s'),
    logDir: z.string().min(1).optional().describe('Folder for the brokers\' stdout and stderr; discarded when unset.'),
  })
  .superRefine((pool, context) => {
    const seen = new Set<number>();
    pool.nodes.forEach((node, index) => {
      if (seen.has(node.nodeId)) context.addIssue({ code: 'custom', path: ['nodes', index, 'nodeId'], message: `node id ${String(node.nodeId)} is listed twice` });
      seen.add(node.nodeId);
    });
  })
  .describe('A broker pool of local processes (VMs, bare metal, tests).');

/**
 * The section's schema, given the kubernetesScale actuator's (passed in by actuators.ts, which
 * holds it and the union of kinds, so the two files do not import each other).
 */
export function brokersActuatorSchemaWith<Scale extends z.ZodType>(kubernetesScaleSchema: Scale) {
  return z
    .strictObject({
      kind: z.literal('brokers').describe('Changes the Kafka broker count and moves partitions to match.'),
      dryRun: z.boolean().default(false).describe('Compute and report the reassignment plan; start, stop and move nothing.'),
      bootstrap: z.array(brokerAddress).min(1).describe('Some brokers (host:port) of the cluster.'),
      clientId: z.string().min(1).default('lagpilot-brokers').describe('Kafka client id of the admin connection.'),
      pool: z.discriminatedUnion('kind', [kubernetesBrokerPoolSchema(kubernetesScaleSchema), localProcessBrokerPoolSchema]).describe('How brokers are added and removed.'),
      topics: z
        .string()
        .min(1)
        .default('.*')
        .refine((pattern) => {
          try {
            new RegExp(pattern);
            return true;
          } catch {
            return false;
          }
        }, { error: (issue) => `"${String(issue.input)}" is not a regular expression` })
        .describe('Regular expression of the topics whose partitions are balanced (internal topics included). A drain moves every topic\'s replicas regardless.'),
      rackAware: z.boolean().default(false).describe('Keep each partition\'s replicas on distinct racks (broker.rack), as far as the racks allow.'),
      maxConcurrentMoves: z.int().min(1).max(10_000).default(10).describe('Partitions reassigned at once; the next batch starts when this one is done.'),
      throttleBytesPerSecond: z
        .int()
        .min(1)
        .default(50 * 1024 * 1024)
        .describe('Replication throttle (leader and follower) on the brokers while partitions move; removed when done.'),
      pollInterval: duration('How often the progress of a batch is read.', '1s'),
      stallTimeout: duration('A batch that makes no progress (no partition done, no byte copied) for this long is reported stalled and left for an operator.', '5m'),
      registrationTimeout: duration('Time a new broker has to register with the cluster after it was started.', '5m'),
      drainBeforeRemove: z.boolean().default(true).describe('Move every replica off a broker before removing it. Off: a broker that still holds replicas is not removed.'),
      unregisterRemoved: z.boolean().default(true).describe('Unregister (KRaft) a removed broker, so the cluster forgets it.'),
      electLeaders: z.boolean().default(true).describe('Run a preferred leader election after the moves, so leaders balance at once.'),
      requestTimeout: duration('Time limit of one Kafka admin request.', '30s'),
    })
    .describe('Scales Kafka brokers and reassigns partitions (drain before removal, throttled moves).');
}

export type LocalProcessBrokerPoolConfig = z.output<typeof localProcessBrokerPoolSchema>;
