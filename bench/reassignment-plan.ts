// How long the brokers actuator's planner takes, and how many replicas it moves, on clusters
// larger than the tests': topics of RF 3 placed round-robin on `before` brokers, planned onto
// `after` brokers (a scale out and a scale in with drain). Pure computation, no Kafka.
//
//   node bench/reassignment-plan.ts
import { planReassignment, type PartitionAssignment } from '../src/actuators/reassignment-planner.ts';

const cases: { topics: number; partitions: number; before: number; after: number }[] = [
  { topics: 1, partitions: 12, before: 3, after: 4 },
  { topics: 50, partitions: 60, before: 12, after: 16 },
  { topics: 200, partitions: 50, before: 30, after: 40 },
  { topics: 200, partitions: 50, before: 40, after: 30 },
];

for (const { topics, partitions, before, after } of cases) {
  const assignments: PartitionAssignment[] = [];
  for (let topic = 0; topic < topics; topic++) {
    for (let partition = 0; partition < partitions; partition++) {
      assignments.push({ topic: `t${String(topic)}`, partition, replicas: [0, 1, 2].map((offset) => ((topic + partition + offset) % before) + 1) });
    }
  }
  const brokers = Array.from({ length: after }, (_, index) => ({ nodeId: index + 1, rack: null }));
  const started = performance.now();
  const plan = planReassignment({ assignments, brokers, rackAware: false });
  const elapsed = performance.now() - started;
  console.log(
    `${String(assignments.length)} partitions (RF 3), ${String(before)} -> ${String(after)} brokers: ` +
      `${String(plan.replicaMoves)} replicas moved, ${String(plan.moves.length)} partitions reassigned, ${elapsed.toFixed(0)} ms`,
  );
}
