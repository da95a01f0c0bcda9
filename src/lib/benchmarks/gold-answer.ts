import type { BenchmarkDefinition, GoldAnswer } from "./benchmark-definition";

/**
 * The reference answer of an item, for test-double engines that answer right or wrong by design: gsm8k, the text
 * after "#### " in the reference solution; truthfulqa_mc, the correct mc1 index and the mc2 labels.
 */
export function goldAnswer(def: BenchmarkDefinition, item: string): GoldAnswer {
  return def.goldAnswer(item);
}
