/** `pnpm score <benchmark> <file.jsonl>`: see src/lib/benchmarks/score-cli.ts. */
import { nodeIo, runScoreCli } from "../src/lib/benchmarks/score-cli";

process.exitCode = await runScoreCli(process.argv.slice(2), nodeIo);
