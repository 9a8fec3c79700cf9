// The safety pipeline, in its fixed order.
import { boundsStage } from './bounds.ts';
import { cooldownStage } from './cooldown.ts';
import { finalBoundsStage } from './final-bounds.ts';
import { partitionCapStage } from './partition-cap.ts';
import { rateLimitStage } from './rate-limit.ts';
import { rebalanceStage } from './rebalance.ts';
import { stabilizationStage } from './stabilization.ts';
import type { DraftDecision, SafetyContext, SafetyStage } from './stage.ts';
import { staleDataGuard } from './stale-data.ts';
import { toleranceStage } from './tolerance.ts';

export const safetyPipeline: readonly SafetyStage[] = [
  staleDataGuard,
  boundsStage,
  partitionCapStage,
  toleranceStage,
  stabilizationStage,
  rateLimitStage,
  cooldownStage,
  rebalanceStage,
  finalBoundsStage,
];

export function runSafetyPipeline(draft: DraftDecision, context: SafetyContext, stages: readonly SafetyStage[] = safetyPipeline): DraftDecision {
  return stages.reduce((decision, stage) => stage.apply(decision, context), draft);
}
