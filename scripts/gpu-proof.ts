/**
 * The transformers engine's GPU proof, the development-machine half (docs/engines.md, "GPU proof").
 *
 *   pnpm gpu-proof requests [--gsm8k N] [--truthfulqa N] [--out DIR]
 *     Builds the engine requests for the first N GSM8K and N TruthfulQA items with this repo's benchmark module and
 *     writes them as the OpenAI Batch file the runner hands to engines (DIR/requests.jsonl, default
 *     scripts/gpu-proof/work), plus DIR/manifest.json (which items of which benchmark).
 *   pnpm gpu-proof score DIR
 *     Reads DIR/output.jsonl (or DIR/output.slim.jsonl.gz) (what the driver wrote on the GPU machine) with the benchmark module, exactly as the
 *     runner does, and writes DIR/<benchmark>.outputs.jsonl, the lines `pnpm score <benchmark> <file>` reads.
 *
 * The GPU half is scripts/gpu-proof/run.sh (it needs only Python, torch and transformers).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import path from "node:path";
import { buildRequests } from "@/lib/benchmarks/build-requests";
import type { EngineRequest } from "@/lib/benchmarks/engine-contract";
import { outputsFromResponses } from "@/lib/benchmarks/engine-responses";
import { parseOpenAIBatchOutput, toOpenAIBatchJsonl } from "@/lib/benchmarks/openai-batch";
import { getBenchmark } from "@/lib/benchmarks/registry";

const BENCHMARKS = { gsm8k: "gsm8k@3", truthfulqa: "truthfulqa_mc@2" } as const;

interface Manifest {
  benchmarks: Array<{ key: string; itemIds: string[] }>;
}

function flag(args: string[], name: string, fallback: string): string {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] ? args[at + 1]! : fallback;
}

function count(args: string[], name: string, fallback: number): number {
  const n = Number(flag(args, name, String(fallback)));
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: expected a whole number, got ${flag(args, name, "")}`);
  return n;
}

function requestsOf(manifest: Manifest): EngineRequest[] {
  return manifest.benchmarks.flatMap((b) => buildRequests(getBenchmark(b.key), b.itemIds).map((r) => ({ ...r, id: `${b.key}|${r.id}` })));
}

function main(argv: string[]): void {
  const [command, ...args] = argv;
  if (command === "requests") {
    const dir = flag(args, "--out", "scripts/gpu-proof/work");
    const manifest: Manifest = {
      benchmarks: [
        { key: BENCHMARKS.gsm8k, itemIds: getBenchmark(BENCHMARKS.gsm8k).allItemIds().slice(0, count(args, "--gsm8k", 100)) },
        { key: BENCHMARKS.truthfulqa, itemIds: getBenchmark(BENCHMARKS.truthfulqa).allItemIds().slice(0, count(args, "--truthfulqa", 100)) },
      ],
    };
    const requests = requestsOf(manifest);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "requests.jsonl"), toOpenAIBatchJsonl(requests, "quorum-model"));
    writeFileSync(path.join(dir, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    console.log(`wrote ${requests.length} requests for ${manifest.benchmarks.map((b) => `${b.itemIds.length} ${b.key}`).join(" and ")} to ${dir}`);
    return;
  }
  if (command === "score" && args[0]) {
    const dir = args[0];
    const manifest = JSON.parse(readFileSync(path.join(dir, "manifest.json"), "utf8")) as Manifest;
    const requests = requestsOf(manifest);
    // output.jsonl as the driver wrote it, or the slim gzipped copy check.py brings back (context positions nulled).
    const slim = path.join(dir, "output.slim.jsonl.gz");
    const text = existsSync(slim) ? gunzipSync(readFileSync(slim)).toString("utf8") : readFileSync(path.join(dir, "output.jsonl"), "utf8");
    const responses = parseOpenAIBatchOutput(text, requests);
    for (const b of manifest.benchmarks) {
      const prefix = `${b.key}|`;
      const own = requests.flatMap((r, i) => (r.id.startsWith(prefix) ? [[r, responses[i]!] as const] : []));
      const strip = <T extends { id: string }>(x: T): T => ({ ...x, id: x.id.slice(prefix.length) });
      const outputs = outputsFromResponses(getBenchmark(b.key), b.itemIds, own.map(([r]) => strip(r)), own.map(([, r]) => strip(r)));
      const file = path.join(dir, `${b.key.replace(/@.*/, "")}.outputs.jsonl`);
      writeFileSync(file, outputs.map((o) => JSON.stringify(o)).join("\n") + "\n");
      console.log(`${b.key}: ${outputs.length} outputs -> ${file} (score with: pnpm score ${b.key} ${file})`);
    }
    return;
  }
  console.error("usage: pnpm gpu-proof requests [--gsm8k N] [--truthfulqa N] [--out DIR] | pnpm gpu-proof score DIR");
  process.exitCode = 2;
}

main(process.argv.slice(2));
