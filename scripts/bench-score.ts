/**
 * `pnpm bench:score`: how long the shared benchmark module takes to validate, score, record and hash 10,000 item
 * outputs (what the server does on every submission, in bulk). score_ms is the median of 5 runs in one process,
 * first_run_ms the first of them (cold JIT); dataset loading (load_ms) happens once per process and is not included.
 * Benchmarks that execute code (humaneval) are measured differently: every problem's canonical solution and a
 * `return None` body run through the code executor (sandbox start included once, start_ms), giving items/s and
 * ms per item of the executor itself. Long-context tiers generate megabytes of text per item: one task's 5 items are
 * generated and scored per tier.
 */
import type { TItemOutput } from "../src/lib/protocol/runner-api";
import type { BenchmarkDefinition } from "../src/lib/benchmarks/benchmark-definition";
import { goldAnswer, goldOutputFromResponses } from "../src/lib/benchmarks/gold-answer";
import { listBenchmarks } from "../src/lib/benchmarks/registry";
import { scoreOutputs, scoreOutputsAsync } from "../src/lib/benchmarks/score-outputs";
import { CodeExecutor } from "../src/lib/benchmarks/code-executor/executor";

const ITEMS = 10_000;

function syntheticOutputs(def: BenchmarkDefinition): TItemOutput[] {
  const ids = def.allItemIds();
  return Array.from({ length: ITEMS }, (_, i): TItemOutput => {
    const item = ids[(i * 7919) % ids.length]!;
    const gold = goldAnswer(def, item);
    if (gold.kind === "responses") return goldOutputFromResponses(def, item, i % 3 === 0)!;
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

async function benchExecuted(def: BenchmarkDefinition): Promise<void> {
  const ids = def.allItemIds();
  const outputs = ids.flatMap((item): TItemOutput[] => {
    const completion = goldAnswer(def, item);
    if (completion.kind !== "generate_until" || !completion.completion) throw new Error(`${def.key}: no gold completion`);
    return [
      { item, output: completion.completion.correct },
      { item, output: completion.completion.wrong },
    ];
  });
  const startAt = performance.now();
  const executor = new CodeExecutor();
  await executor.run({ source: "def f():\n    return 1\n", test: "def check(c):\n    assert c() == 1\n", entryPoint: "f" });
  const startMs = performance.now() - startAt;
  executor.close();
  const t = performance.now();
  const scored = await scoreOutputsAsync(def, null, outputs);
  const totalMs = performance.now() - t;
  const passed = scored.records.filter((record) => record.scores[def.primaryMetric] === 1).length;
  console.log(
    `benchmark=${def.key} executor items=${outputs.length} passed=${passed} total_ms=${totalMs.toFixed(0)} ` +
      `items_per_s=${(outputs.length / (totalMs / 1000)).toFixed(1)} ms_per_item=${(totalMs / outputs.length).toFixed(1)} start_ms=${startMs.toFixed(0)}`,
  );
}

/** Long-context tiers: one task (5 items), item generation included (it dominates: megabytes of text per item). */
function benchLongContext(def: BenchmarkDefinition): void {
  const items = def.allItemIds().filter((_, i) => i % 160 === 0);
  const t = performance.now();
  const outputs = items.map((item) => goldOutputFromResponses(def, item, true)!);
  const { metrics } = scoreOutputs(def, null, outputs);
  const ms = performance.now() - t;
  console.log(
    `benchmark=${def.key} items=${items.length} generate_and_score_ms=${ms.toFixed(0)} items_per_s=${(items.length / (ms / 1000)).toFixed(2)} ` +
      `prompt_chars=${def.promptOf(items[0]!).length} accuracy=${metrics[def.primaryMetric]}`,
  );
}

for (const def of listBenchmarks()) {
  if (def.contextTokens) {
    benchLongContext(def);
    continue;
  }
  if (def.execution) {
    await benchExecuted(def);
    continue;
  }
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
