// Combine recommendations: the highest wins (as in the Kubernetes HPA). A policy that judged on
// incomplete data may raise the count but never vote it down; one without data abstains.
import { reason } from './types.ts';
import type { Reason, Recommendation } from './types.ts';

export interface Combined {
  replicas: number;
  winner: string | null;
  reasons: Reason[];
}

export function combineRecommendations(recommendations: readonly Recommendation[], currentReplicas: number): Combined {
  let best: { replicas: number; policy: string } | null = null;
  for (const recommendation of recommendations) {
    if (recommendation.replicas === null) continue;
    const vote = recommendation.dataComplete ? recommendation.replicas : Math.max(recommendation.replicas, currentReplicas);
    if (best === null || vote > best.replicas) best = { replicas: vote, policy: recommendation.policy };
  }
  if (best === null) {
    return { replicas: currentReplicas, winner: null, reasons: [reason('combine', 'NoPolicyData', `no policy had data: keep ${currentReplicas}`, { currentReplicas })] };
  }
  const votes = Object.fromEntries(recommendations.map((recommendation) => [recommendation.policy, recommendation.replicas]));
  return {
    replicas: best.replicas,
    winner: best.policy,
    reasons: [reason('combine', 'HighestRecommendation', `${best.policy} asks for the most: ${best.replicas}`, { ...votes, winner: best.policy, replicas: best.replicas })],
  };
}
