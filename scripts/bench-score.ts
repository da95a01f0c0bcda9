/**
 * `pnpm bench:score`: how long the shared benchmark module takes to validate, score, record and hash 10,000 item
 * outputs (what the server does on every submission, in bulk). score_ms is the median of 5 runs in one process,
 * first_run_ms the first of them (cold JIT); dataset loading (load_ms) happens once per process and is not included.
 */
import type { TItemOutput } from "../src/lib/protocol/runner-api";
import type { BenchmarkDefinition } from "../src/lib/benchmarks/benchmark-definition";
import { goldAnswer } from "../src/lib/benchmarks/gold-answer";
import { listBenchmarks } from "../src/lib/benchmarks/registry";
import { scoreOutputs } from "../src/lib/benchmarks/score-outputs";

const ITEMS = 10_000;

function syntheticOutputs(def: BenchmarkDefinition): TItemOutput[] {
  const ids = def.allItemIds();
  return Array.from({ length: ITEMS }, (_, i): TItemOutput => {
    const item = ids[(i * 7919) % ids.length]!;
    const gold = goldAnswer(def, item);
    if (gold.kind === "generate_until") {
      const answer = i % 3 === 0 ? gold.answer : String(i);
      return { item, output: ` Working it out step by step, 12 + ${i} = ${12 + i}.\n#### ${answer}\n\nQuestion: more` };
    }
    const noise = (j: number) => -((((i + 1) * (j + 3)) % 17) + 0.5) / 2;
    const request = def.buildItemRequests(item);
    const count = (target: string) => request.filter((r) => r.id.includes(`/${target}/`)).length;
    return {
      item,
      loglikelihoods: {
        mc1: Array.from({ length: count("mc1") }, (_, j) => noise(j)),
        mc2: Array.from({ length: count("mc2") }, (_, j) => noise(j + 1)),
      },
    };
  });
}

for (const def of listBenchmarks()) {
  const loadStart = performance.now();
  def.itemCount();
  for (const item of def.allItemIds()) def.promptOf(item);
  const loadMs = performance.now() - loadStart;
  const outputs = syntheticOutputs(def);
  const timings: number[] = [];
  for (let run = 0; run < 5; run++) {
    const start = performance.now();
    const { records, outputsSha256 } = scoreOutputs(def, null, outputs);
    timings.push(performance.now() - start);
    if (records.length !== ITEMS || outputsSha256.length !== 64) throw new Error("scoring returned an unexpected result");
  }
  const first = timings[0]!;
  const scoreMs = [...timings].sort((a, b) => a - b)[2]!;
  console.log(
    `benchmark=${def.key} items=${ITEMS} score_ms=${scoreMs.toFixed(1)} items_per_s=${Math.round(ITEMS / (scoreMs / 1000))} ` +
      `first_run_ms=${first.toFixed(1)} load_ms=${loadMs.toFixed(0)}`,
  );
}
