import type { TItemOutput } from "@/lib/protocol/runner-api";
import type { BenchmarkDefinition, GoldAnswer } from "./benchmark-definition";

/**
 * The reference answer of an item, for test-double engines that answer right or wrong by design: gsm8k, the text
 * after "#### " in the reference solution; truthfulqa_mc, the correct mc1 index and the mc2 labels.
 */
export function goldAnswer(def: BenchmarkDefinition, item: string): GoldAnswer {
  return def.goldAnswer(item);
}

/** The output of a right (or wrong) model for benchmarks whose gold answer is a list of engine responses. */
export function goldOutputFromResponses(def: BenchmarkDefinition, item: string, correct: boolean): TItemOutput | null {
  const gold = def.goldAnswer(item);
  if (gold.kind !== "responses") return null;
  return def.outputFromResponses(item, def.buildItemRequests(item), correct ? gold.correct : gold.wrong);
}
