// The `dryRun` kind: drives nothing and remembers what it would have set, so a target can run
// its whole loop (and the simulator its model) before it is given a real actuator.
import { z } from 'zod';
import type { ActuationRequest, ActuationResult, ActuationTarget, Actuator, ActuatorState } from './actuator.ts';

export const recordingActuatorSchema = z.strictObject({ kind: z.literal('dryRun') });

export class RecordingActuator implements Actuator {
  readonly kind = 'dryRun';
  readonly dryRun = true;
  private readonly replicasByTarget = new Map<string, number>();

  current(target: ActuationTarget): Promise<ActuatorState> {
    return Promise.resolve({ replicas: this.replicasByTarget.get(target.name) ?? 0, notices: [] });
  }

  apply({ target, decision }: ActuationRequest): Promise<ActuationResult> {
    const before = this.replicasByTarget.get(target.name) ?? decision.current;
    if (before === decision.desired) {
      return Promise.resolve({ status: 'noop', code: 'AlreadyAtDesired', detail: `${target.name} is already at ${before}`, replicasBefore: before, replicasAfter: before });
    }
    this.replicasByTarget.set(target.name, decision.desired);
    return Promise.resolve({
      status: 'dryRun',
      code: 'WouldScale',
      detail: `would scale ${target.name} from ${before} to ${decision.desired}`,
      replicasBefore: before,
      replicasAfter: decision.desired,
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
