/**
 * Outputs a model would produce, for tests and benchmarks: a test double for an inference engine. `correct`
 * decides, per item, whether it answers with the reference answer (from the benchmark's gold answers) or a wrong one.
 */
import { goldOutputFromResponses } from "@/lib/benchmarks/gold-answer";
import { getBenchmark } from "@/lib/benchmarks/registry";
import type { TItemOutput } from "@/lib/protocol/runner-api";

export function goldOutputs(
  benchmarkKey: string,
  itemIds: string[],
  correct: (item: string, index: number) => boolean = () => true,
): TItemOutput[] {
  const definition = getBenchmark(benchmarkKey);
  return itemIds.map((item, index) => {
    const gold = definition.goldAnswer(item);
    const isCorrect = correct(item, index);
    if (gold.kind === "responses") return goldOutputFromResponses(definition, item, isCorrect)!;
    if (gold.kind === "generate_until") {
      if (gold.completion) return { item, output: isCorrect ? gold.completion.correct : gold.completion.wrong };
      return { item, output: ` The answer is computed step by step.\n#### ${isCorrect ? gold.answer : "-12345"}` };
    }
    const mc1Count = definition.buildItemRequests(item).filter((request) => request.id.startsWith(`${item}/mc1/`)).length;
    const wrongChoice = (gold.mc1Correct + 1) % mc1Count;
    const mc1 = Array.from({ length: mc1Count }, (_, i) => (i === (isCorrect ? gold.mc1Correct : wrongChoice) ? -1 : -5));
    const mc2 = gold.mc2Labels.map((label) => ((label === 1) === isCorrect ? -1 : -6));
    return { item, loglikelihoods: { mc1, mc2 } };
  });
}
