/**
 * `pnpm runner <command>`: the volunteer's CLI. Wires the parts together; the work happens in loop.ts,
 * evaluate.ts, login.ts, doctor.ts. Exit codes: 0 done, 1 failed, 2 bad usage, 3 nothing to do (pull: no task).
 */
import path from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { ENGINE_NAMES, type TEngineName } from "@/lib/protocol/runner-api";
import { createRunnerApi } from "./api-client";
import { configPath, loadConfig, resolveDirs, type RunnerDirs, type TRunnerConfig } from "./config";
import { ensureFixtureImage } from "./docker/fixture-image";
import { runDoctor, type Check } from "./doctor";
import { errorHint } from "./errors";
import { evaluateClaim } from "./evaluate";
import { gpuLabel, selectGpus } from "./gpu";
import { startHeartbeat } from "./heartbeat";
import { createLogger, type Logger } from "./log";
import { login, normaliseServer } from "./login";
import { DEFAULT_BUNDLE, DEFAULT_ENGINE_IDLE_MS, RunnerLoop } from "./loop";
import { DEFAULT_TASK_TIMEOUT_S, makeDocker, makeEngine, makeOutput, resolveGpus, UsageError, type EngineFlags, type Output } from "./setup";
import { formatSelfTest, parseSelfTestModel, runSelfTest, selfTestBenchmarks } from "./self-test";
import { submitResult } from "./submit";
import { PendingResults, readResultFile, readTaskFile, resultFile, taskFile, writePrivateJson } from "./task-files";

interface GlobalFlags {
  json?: boolean;
  verbose?: boolean;
  configDir?: string;
  progress?: string;
}

interface RunFlags extends EngineFlags, GlobalFlags {
  engine?: TEngineName;
  gpus?: string;
  taskTimeout?: string;
  hfEndpoint?: string;
  maxDownloadBytes?: string;
  server?: string;
  keepTaskDirs?: boolean;
  gpuWatts?: string;
}

interface StartFlags extends RunFlags {
  once?: boolean;
  maxTasks?: string;
  exitWhenIdle?: boolean;
  drainTimeout?: string;
  idleMax?: string;
  bundle?: string;
  warmIdle?: string;
  engineIdle?: string;
}

function dirsFor(flags: GlobalFlags): RunnerDirs {
  return resolveDirs(flags.configDir ? { ...process.env, QUORUM_RUNNER_CONFIG_DIR: flags.configDir } : process.env);
}

function gpuWatts(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const watts = Number(value);
  if (!Number.isFinite(watts) || watts <= 0 || watts > 20_000) throw new UsageError(`--gpu-watts ${value}: expected the GPUs' total watts, above 0 and at most 20000`, "See --help.");
  return watts;
}

function seconds(name: string, value: string | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback * 1000;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0 || (n === 0 && !allowZero))
    throw new UsageError(`${name} ${value}: expected a ${allowZero ? "non-negative" : "positive"} number of seconds`, "See --help.");
  return Math.round(n * 1000);
}

function engineOptions(command: Command, defaultEngine: TEngineName | null = "vllm"): Command {
  const engine = new Option("--engine <engine>", defaultEngine ? "inference engine" : "inference engine (default: fixture for fixture/ models, else vllm)").choices([...ENGINE_NAMES]);
  return command
    .addOption(defaultEngine ? engine.default(defaultEngine) : engine)
    .option("--gpus <gpus>", "GPUs for the container: auto, none, all, a count, or ids like 0,1", "auto")
    .option("--gpu-watts <watts>", "your GPUs' total power draw, used for energy (marked as declared) when nvidia-smi gives no power readings")
    .option("--task-timeout <seconds>", "wall-clock limit per evaluation (default: fixture 600, vllm 3600)")
    .option("--memory <size>", "container memory limit, e.g. 48g (default: fixture 1g, vllm 32g)")
    .option("--pids-limit <n>", "max processes and threads in the container (default 512)")
    .option("--tmpfs <size>", "size of the container's writable /tmp (default: fixture 64m, vllm 8g)")
    .option("--shm <size>", "size of /dev/shm (vllm default 8g)")
    .option("--vllm-image <image>", "vLLM image, also used by the transformers engine (default: the pinned one; or QUORUM_VLLM_IMAGE)")
    .option("--max-model-len <tokens>", "vLLM --max-model-len and the transformers engine's length (default 4096, capped at the model's own maximum)")
    .option("--gpu-memory-utilization <fraction>", "vLLM --gpu-memory-utilization (default 0.9)")
    .option("--tensor-parallel <n>", "vLLM --tensor-parallel-size (default: the largest that fits the GPUs and divides the model's heads, KV heads and MLP)")
    .option("--vllm-arg <arg...>", "extra arguments for the vLLM server")
    .option("--hf-endpoint <url>", "Hugging Face Hub address (default: HF_ENDPOINT, then https://huggingface.co)")
    .option("--max-download-bytes <bytes>", "refuse a model whose files (with its base) exceed this many bytes, before fetching any (default 200e9)")
    .option("--keep-task-dirs", "keep each task's inputs and outputs for debugging");
}

function printChecks(checks: Check[], logger: Logger, json: boolean): void {
  if (json) {
    logger.event("doctor", { checks });
    return;
  }
  const mark: Record<Check["status"], string> = { ok: "✔", warn: "!", fail: "✘", skip: "–" };
  for (const check of checks) {
    process.stdout.write(`${mark[check.status]} ${check.name.padEnd(26)} ${check.detail}\n`);
    if (check.hint && check.status !== "ok") process.stdout.write(`  ${" ".repeat(26)} → ${check.hint}\n`);
  }
}

/** Signal handling: the first SIGINT/SIGTERM asks to stop, the second to stop now. */
function onSignals(first: (signal: string) => void, second: (signal: string) => void): () => void {
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count += 1;
    if (count === 1) first(signal);
    else second(signal);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}

async function prepareRun(flags: RunFlags, output: Output, config: TRunnerConfig | null) {
  const engineName = flags.engine ?? "vllm";
  const gpus = await resolveGpus(flags.gpus, engineName);
  if (gpus.detectionError) output.logger.warn(`nvidia-smi failed: ${gpus.detectionError}`);
  if (engineName === "vllm" && gpus.request === null) {
    throw new UsageError(
      "The vllm engine needs a GPU and none was found (or --gpus none was given).",
      "Check `nvidia-smi` and `pnpm runner doctor`; pass --gpus all if detection is wrong, or use --engine fixture for a test run.",
    );
  }
  const docker = makeDocker(output.logger, config?.runner.name ?? "self-test");
  const engine = makeEngine({ engine: engineName, docker, flags, gpus: gpus.request, gpuInfo: gpus.info });
  const timeoutMs = seconds("--task-timeout", flags.taskTimeout, DEFAULT_TASK_TIMEOUT_S[engineName]);
  return { engineName, gpus, docker, engine, timeoutMs, declaredGpuWatts: gpuWatts(flags.gpuWatts) };
}

export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command();
  program
    .name("pnpm runner")
    .description("Quorum runner: lend your GPU to evaluate open models in a locked-down container.")
    .option("--json", "one JSON object per line on stdout (logs, progress, results)")
    .option("-v, --verbose", "debug logs, including the engine's own output")
    .option("--config-dir <dir>", "config directory (default: QUORUM_RUNNER_CONFIG_DIR, then the user's config dir)")
    .option("--progress <mode>", "auto (bars on a terminal, else a line every 10 s), bars, lines or none; --json always sends progress events", "auto")
    .option("--auto", "same as `start` (takes start's options): claim, evaluate and submit in a loop")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();

  program
    .command("login")
    .description("store the server and token, create this runner's ed25519 key pair and register its public key")
    .requiredOption("--server <url>", "the Quorum server, e.g. https://quorum.example.org")
    .option("--token <token>", "an API token with the task:pull and task:submit scopes (or QUORUM_TOKEN)")
    .option("--name <name>", "this runner's name (default: the host name)")
    .option("--insecure", "allow a plain http:// server other than this machine (the token crosses the network unencrypted)")
    .action(async (flags: { server: string; token?: string; name?: string; insecure?: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalFlags>();
      const { logger } = makeOutput(globals);
      const token = flags.token ?? process.env.QUORUM_TOKEN;
      if (!token) throw new UsageError("No token given.", "Pass --token or set QUORUM_TOKEN (create a token on the server's account page).");
      const gpus = await resolveGpus("auto", "vllm");
      const dirs = dirsFor(globals);
      const result = await login({ server: flags.server, token, configDir: dirs.config, name: flags.name, gpu: gpuLabel(gpus.info), insecure: flags.insecure });
      logger.event("login", { server: result.config.server, runnerId: result.config.runner.id, name: result.config.runner.name, user: result.whoami.userName, config: result.file, keptKey: result.keptKey });
      logger.info(
        `logged in to ${result.config.server} as ${result.whoami.userName}; runner ${result.config.runner.name} (${result.config.runner.id}) registered${result.keptKey ? " (same key as before)" : " with a new ed25519 key"}`,
      );
      logger.info(`config saved to ${result.file} (0600). Next: \`pnpm runner doctor\`, then \`pnpm runner start\``);
    });

  engineOptions(
    program
      .command("start")
      .description("claim, evaluate and submit tasks in a loop (Ctrl-C: finish or release the current task, then exit)")
      .option("--server <url>", "use this server instead of the configured one")
      .option("--once", "one task, then exit")
      .option("--max-tasks <n>", "exit after this many tasks")
      .option("--exit-when-idle", "exit when the server has no task")
      .option("--drain-timeout <seconds>", "on stop, how long the current task may still run before it is released", "120")
      .option("--idle-max <seconds>", "longest wait between polls while idle", "60")
      .option("--bundle <n>", "take up to n tasks of one model per claim, evaluated with one engine start (server caps at 16; 1 turns bundles off)", String(DEFAULT_BUNDLE))
      .option("--engine-idle <seconds>", "keep the engine (model loaded) running this long after a task for the same model's next one; 0 stops it at once", String(DEFAULT_ENGINE_IDLE_MS / 1000))
      .option("--warm-idle <seconds>", "how long the last model stays preferred for the next claim", "600"),
  ).action(async (_flags: StartFlags, command: Command) => {
    setExitCode(await startCommand(command.optsWithGlobals<StartFlags>()));
  });

  engineOptions(
    program
      .command("pull")
      .description("claim one task into a task file (then `run` it)")
      .option("--out <file>", "where to write the task file"),
  ).action(async (flags: { out?: string }, command: Command) => {
    const globals = command.optsWithGlobals<RunFlags>();
    const { logger } = makeOutput(globals);
    const dirs = dirsFor(globals);
    const config = await loadConfig(dirs.config);
    const api = createRunnerApi({ server: globals.server ?? config.server, token: config.token });
    const engineName = globals.engine ?? "vllm";
    const gpus = await resolveGpus(globals.gpus, engineName);
    const { claim, retryAfterSeconds } = await api.claim({
      runnerId: config.runner.id,
      engine: engineName,
      gpu: gpuLabel(selectGpus(gpus.info, gpus.request)),
      maxContextTokens: globals.maxModelLen === undefined ? null : Number(globals.maxModelLen),
    });
    if (!claim) {
      logger.event("pull", { claimed: false, retryAfterSeconds });
      logger.info(`no task available for the ${engineName} engine; try again in ${retryAfterSeconds} s`);
      setExitCode(3);
      return;
    }
    const file = path.resolve(flags.out ?? path.join(dirs.work, "tasks", `${claim.assignmentId}.task.json`));
    await writePrivateJson(file, taskFile(api.server, config.runner.id, claim));
    logger.event("pull", { claimed: true, file, assignmentId: claim.assignmentId, leaseExpiresAt: claim.leaseExpiresAt.toISOString() });
    logger.info(
      `claimed ${claim.task.model.repo}@${claim.task.model.revision.slice(0, 7)} × ${claim.task.benchmark.key}; the lease ends at ${claim.leaseExpiresAt.toISOString()}`,
    );
    logger.info(`task file: ${file}. Next: \`pnpm runner run ${file}\``);
    if (!globals.json) process.stdout.write(`${file}\n`);
  });

  engineOptions(
    program
      .command("run <taskFile>")
      .description("evaluate a pulled task into a signed result file (heartbeats keep its lease)")
      .option("--out <file>", "where to write the result file"),
    null,
  ).action(async (taskFileArg: string, flags: { out?: string }, command: Command) => {
    setExitCode(await runCommand(taskFileArg, flags.out, command.optsWithGlobals<RunFlags>()));
  });

  engineOptions(
    program
      .command("eval <model>")
      .description("self-test for model authors: evaluate org/repo@<commit> locally, as a runner would, without claiming or submitting")
      .option("--benchmark <key...>", "benchmarks to run (default: all)")
      .option("--items <n>", "items per benchmark (default: a task's item count)")
      .option("--weight-type <type>", "original, adapter or delta", "original")
      .option("--base-model <org/repo@commit>", "an adapter's or delta's base model")
      .option("--precision <precision>", "float16, bfloat16, float32, int8 or int4", "bfloat16")
      .option("--out <file>", "where to write the report (default: the runner's work dir)"),
    null,
  ).action(async (modelArg: string, flags: EvalFlags, command: Command) => {
    setExitCode(await evalCommand(modelArg, { ...command.optsWithGlobals<RunFlags>(), ...flags }));
  });

  program
    .command("submit <resultFile>")
    .description("submit a result file (safe to repeat)")
    .action(async (resultFileArg: string, _flags: unknown, command: Command) => {
      const globals = command.optsWithGlobals<GlobalFlags>();
      const { logger, progress } = makeOutput(globals);
      const config = await loadConfig(dirsFor(globals).config);
      const result = await readResultFile(resultFileArg);
      if (result.runnerId !== config.runner.id) {
        throw new UsageError(`${resultFileArg} was made by runner ${result.runnerId}, not this one (${config.runner.id}).`, "Submit it with the config dir of the runner that made it (--config-dir).");
      }
      const api = createRunnerApi({ server: result.server, token: config.token, onRetry: (r) => logger.warn(`submission failed (${r.error.message}); retrying in ${Math.round(r.delayMs / 1000)} s`) });
      const report = await submitResult({ api, submission: result.submission, privateKeyPem: config.privateKeyPem, logger, progress });
      progress.stop();
      logger.event("submit", { ...report });
      if (report.status === "rejected") {
        logger.error(`the server refused the result: ${report.message}`, { hint: report.hint });
        setExitCode(1);
      } else if (report.status === "stored") {
        logger.info(`stored as result ${report.response.resultId}: task ${report.response.taskStatus.toLowerCase()}, verdict ${report.response.verdict.toLowerCase()}`);
      } else {
        logger.info("the server already had this result: nothing more to do");
      }
    });

  program
    .command("status")
    .description("this runner's config, server, Docker and pending results")
    .action(async (_flags: unknown, command: Command) => {
      const globals = command.optsWithGlobals<GlobalFlags>();
      const { logger } = makeOutput(globals);
      const dirs = dirsFor(globals);
      const config = await loadConfig(dirs.config);
      const api = createRunnerApi({ server: config.server, token: config.token, retry: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 }, timeoutMs: 10_000 });
      const whoami = await api.whoami().then(
        (w) => ({ ok: true as const, user: w.userName, scopes: w.scopes, tokenPrefix: w.tokenPrefix }),
        (e: unknown) => ({ ok: false as const, error: (e as Error).message }),
      );
      const standing = await api.standing(config.runner.id).then(
        (s) => ({ ok: true as const, ...s }),
        (e: unknown) => ({ ok: false as const, error: (e as Error).message }),
      );
      const docker = makeDocker(logger);
      const dockerInfo = await docker.info().then(
        (i) => ({ ok: true as const, version: i.serverVersion }),
        (e: unknown) => ({ ok: false as const, error: (e as Error).message }),
      );
      const pending = await new PendingResults(path.join(dirs.work, "pending")).list(config.server);
      const gpus = await resolveGpus("auto", "vllm");
      const status = {
        server: config.server,
        runner: config.runner,
        config: configPath(dirs.config),
        cacheDir: dirs.cache,
        workDir: dirs.work,
        serverStatus: whoami,
        standing,
        docker: dockerInfo,
        gpu: gpuLabel(gpus.info),
        pendingResults: pending.results.map((r) => ({ assignmentId: r.submission.payload.assignmentId, model: r.model, benchmark: r.benchmark })),
      };
      if (globals.json) {
        logger.event("status", status);
        return;
      }
      const line = (k: string, v: string) => process.stdout.write(`${k.padEnd(16)} ${v}\n`);
      line("runner", `${config.runner.name} (${config.runner.id}), owner ${config.runner.ownerName}`);
      line("server", `${config.server} ${whoami.ok ? `— reachable, token ${whoami.tokenPrefix}… (${whoami.scopes.join(", ")})` : `— NOT reachable: ${whoami.error}`}`);
      if (standing.ok) {
        line(
          "standing",
          standing.pauseReason
            ? `PAUSED by an admin: ${standing.pauseReason}`
            : standing.suspension
              ? `SUSPENDED until ${standing.suspension.until.toISOString()}: ${standing.suspension.reason}`
              : `${standing.isEstablished ? "established" : "new"} — ${standing.validCount} valid, ${standing.invalidCount} invalid, ` +
                `agreed with ${standing.agreedOwners} other volunteer(s)`,
        );
      }
      line("docker", dockerInfo.ok ? `engine ${dockerInfo.version}` : `NOT reachable: ${dockerInfo.error}`);
      line("gpu", status.gpu ?? "none found");
      line("config", status.config);
      line("weights cache", dirs.cache);
      line("pending", pending.results.length ? `${pending.results.length} result(s) wait to be submitted (\`pnpm runner start\` submits them)` : "nothing");
    });

  program
    .command("doctor")
    .description("check Docker, GPUs and the NVIDIA container toolkit, disk space, the server and the token, with fixes")
    .addOption(new Option("--engine <engine>", "the engine you plan to run").choices([...ENGINE_NAMES]).default("vllm"))
    .option("--server <url>", "check this server instead of the configured one")
    .option("--vllm-image <image>", "the vLLM image you plan to use")
    .option("--hf-endpoint <url>", "Hugging Face Hub address")
    .action(async (flags: { engine: TEngineName; server?: string; vllmImage?: string; hfEndpoint?: string }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalFlags>();
      const { logger } = makeOutput(globals);
      const checks = await runDoctor({
        dirs: dirsFor(globals),
        engine: flags.engine,
        docker: makeDocker(logger),
        server: flags.server ? normaliseServer(flags.server, { insecure: true }) : undefined,
        vllmImage: flags.vllmImage,
        hubUrl: flags.hfEndpoint,
      });
      printChecks(checks, logger, Boolean(globals.json));
      if (checks.some((c) => c.status === "fail")) setExitCode(1);
    });

  program
    .command("build-fixture-image")
    .description("build the fixture engine's image locally (no registry needed; idempotent)")
    .option("--force", "rebuild even if it exists")
    .action(async (flags: { force?: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalFlags>();
      const { logger } = makeOutput(globals);
      const started = performance.now();
      const result = await ensureFixtureImage({ engine: makeDocker(logger), force: flags.force, onLine: (line) => logger.debug(line) });
      const ms = Math.round(performance.now() - started);
      logger.event("fixture-image", { tag: result.tag, id: result.image.id, built: result.built, ms });
      logger.info(`${result.built ? "built" : "already built:"} ${result.tag} (${result.image.id.slice(7, 19)}) in ${ms} ms`);
      if (!globals.json) process.stdout.write(`${result.tag}\n`);
    });

  return program;
}

async function startCommand(flags: StartFlags): Promise<number> {
  const output = makeOutput(flags);
  const dirs = dirsFor(flags);
  const config = await loadConfig(dirs.config);
  const server = flags.server ? normaliseServer(flags.server, { insecure: true }) : config.server;
  if (server !== config.server) output.logger.warn(`using ${server}, not the configured ${config.server}`);
  const { engineName, gpus, docker, engine, timeoutMs, declaredGpuWatts } = await prepareRun(flags, output, config);
  const api = createRunnerApi({
    server,
    token: config.token,
    onRetry: (r) => output.logger.debug(`${r.procedure} failed (${r.error.message}); retrying in ${Math.round(r.delayMs)} ms`),
  });
  const maxTasks = flags.once ? 1 : flags.maxTasks !== undefined ? Number(flags.maxTasks) : undefined;
  if (maxTasks !== undefined && !(Number.isInteger(maxTasks) && maxTasks > 0)) throw new UsageError("--max-tasks: expected a positive whole number", "See --help.");
  const bundle = Number(flags.bundle ?? DEFAULT_BUNDLE);
  if (!(Number.isInteger(bundle) && bundle >= 1 && bundle <= 64)) throw new UsageError(`--bundle ${flags.bundle}: expected a whole number from 1 to 64`, "See --help.");
  const loop = new RunnerLoop({
    bundle,
    warmIdleMs: seconds("--warm-idle", flags.warmIdle, 600),
    engineIdleMs: seconds("--engine-idle", flags.engineIdle, DEFAULT_ENGINE_IDLE_MS / 1000, true),
    api,
    engine,
    docker,
    runner: { id: config.runner.id, name: config.runner.name, privateKeyPem: config.privateKeyPem },
    engineName,
    maxContextTokens: flags.maxModelLen === undefined ? null : Number(flags.maxModelLen),
    gpus: gpus.request,
    gpuInfo: gpus.info,
    workDir: dirs.work,
    cacheDir: dirs.cache,
    hub: { url: flags.hfEndpoint, accessToken: process.env.HF_TOKEN || undefined, maxDownloadBytes: parseByteCap(flags.maxDownloadBytes) },
    taskTimeoutMs: timeoutMs,
    logger: output.logger,
    progress: output.progress,
    drainTimeoutMs: seconds("--drain-timeout", flags.drainTimeout, 120),
    idleMaxMs: seconds("--idle-max", flags.idleMax, 60),
    maxTasks,
    exitWhenIdle: flags.exitWhenIdle,
    keepTaskDirs: flags.keepTaskDirs,
    declaredGpuWatts,
  });
  const off = onSignals(
    (signal) => loop.stop(`received ${signal}`),
    (signal) => loop.abort(`received ${signal} again`),
  );
  try {
    const summary = await loop.run();
    return summary.end === "fatal" ? 1 : 0;
  } finally {
    off();
  }
}

async function runCommand(taskFileArg: string, out: string | undefined, flags: RunFlags): Promise<number> {
  const output = makeOutput(flags);
  const { logger } = output;
  const dirs = dirsFor(flags);
  const config = await loadConfig(dirs.config);
  const task = await readTaskFile(taskFileArg);
  if (task.runnerId !== config.runner.id) {
    throw new UsageError(`${taskFileArg} was claimed by runner ${task.runnerId}, not this one (${config.runner.id}).`, "Run it with the config dir of the runner that pulled it (--config-dir).");
  }
  const { gpus, engine, timeoutMs, declaredGpuWatts } = await prepareRun({ ...flags, engine: flags.engine ?? (task.claim.task.model.repo.startsWith("fixture/") ? "fixture" : "vllm") }, output, config);
  const api = createRunnerApi({ server: task.server, token: config.token });
  const controller = new AbortController();
  let lost: Error | null = null;
  const heartbeat = startHeartbeat({
    api,
    claim: task.claim,
    logger,
    onLost: (error) => {
      lost = error;
      controller.abort(error);
    },
  });
  const off = onSignals(
    (signal) => {
      logger.info(`received ${signal}: cancelling the evaluation and releasing the task`);
      controller.abort(new Error(`received ${signal}`));
    },
    () => {},
  );
  try {
    const result = await evaluateClaim({
      claim: task.claim,
      engine,
      runner: { id: config.runner.id, name: config.runner.name, privateKeyPem: config.privateKeyPem },
      workDir: dirs.work,
      cacheDir: dirs.cache,
      hub: { url: flags.hfEndpoint, accessToken: process.env.HF_TOKEN || undefined, maxDownloadBytes: parseByteCap(flags.maxDownloadBytes) },
      gpus: gpus.request,
      gpuInfo: gpus.info,
      timeoutMs,
      signal: controller.signal,
      logger,
      progress: output.progress,
      keepTaskDir: flags.keepTaskDirs,
      declaredGpuWatts,
    });
    output.progress.stop();
    const file = path.resolve(out ?? taskFileArg.replace(/(\.task)?\.json$/, "") + ".result.json");
    await writePrivateJson(file, resultFile({ server: task.server, runnerId: config.runner.id, claim: task.claim, scores: result.scores, submission: result.submission }));
    logger.event("run", { file, scores: result.scores, timings: result.timings, engine: result.engine });
    logger.info(`evaluated: ${Object.entries(result.scores).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(", ")}`);
    logger.info(`result file: ${file}. Next: \`pnpm runner submit ${file}\``);
    if (!flags.json) process.stdout.write(`${file}\n`);
    return 0;
  } catch (error) {
    output.progress.stop();
    if (lost) throw lost;
    const cancelled = controller.signal.aborted;
    await api
      .release({ claimToken: task.claim.claimToken, kind: cancelled ? "released" : "failed", reason: (cancelled ? "The runner was stopped." : (error as Error).message).slice(0, 2000) })
      .then(
        () => logger.info(cancelled ? "released the task back to the queue" : "told the server the evaluation failed"),
        (releaseError: unknown) => logger.warn(`could not tell the server (${(releaseError as Error).message}); the lease expires on its own`),
      );
    throw error;
  } finally {
    heartbeat.stop();
    off();
  }
}

interface EvalFlags {
  benchmark?: string[];
  items?: string;
  weightType?: string;
  baseModel?: string;
  precision?: string;
  out?: string;
}

async function evalCommand(modelArg: string, flags: RunFlags & EvalFlags): Promise<number> {
  const model = parseSelfTestModel({ model: modelArg, weightType: flags.weightType, baseModel: flags.baseModel, precision: flags.precision });
  const benchmarks = selfTestBenchmarks(flags.benchmark);
  const items = flags.items === undefined ? undefined : Number(flags.items);
  if (items !== undefined && !(Number.isInteger(items) && items > 0)) throw new UsageError(`--items ${flags.items}: expected a positive whole number`, "See --help.");
  const output = makeOutput(flags);
  const dirs = dirsFor(flags);
  const engineName = flags.engine ?? (model.repo.startsWith("fixture/") ? "fixture" : "vllm");
  const { gpus, engine, timeoutMs } = await prepareRun({ ...flags, engine: engineName }, output, null);
  // The same refusal a runner gives before claiming (a fixture model on vllm, delta weights…), before any download.
  engine.checkModel({ id: "self-test", repo: model.repo, revision: model.revision, weightType: model.weightType, baseModel: model.baseModel ?? null, precision: model.precision });
  const controller = new AbortController();
  const off = onSignals(
    () => controller.abort(new Error("cancelled")),
    () => controller.abort(new Error("cancelled")),
  );
  try {
    const report = await runSelfTest({
      model,
      benchmarks,
      items,
      engine,
      workDir: dirs.work,
      cacheDir: dirs.cache,
      hub: { url: flags.hfEndpoint, accessToken: process.env.HF_TOKEN || undefined },
      gpus: gpus.request,
      gpuInfo: gpus.info,
      timeoutMs,
      logger: output.logger,
      progress: output.progress,
      signal: controller.signal,
      out: flags.out,
    });
    output.progress.stop();
    if (flags.json) output.logger.event("eval", { ...report, benchmarks: report.benchmarks.map(({ outputs: _outputs, ...rest }) => rest) });
    else process.stdout.write(formatSelfTest(report));
    return 0;
  } finally {
    output.progress.stop();
    off();
  }
}

/** `pnpm runner --auto [options]` is `pnpm runner start [options]`. */
export function withAuto(argv: string[]): string[] {
  const rest = argv.slice(2);
  if (!rest.includes("--auto")) return argv;
  const commands = new Set(["login", "start", "pull", "run", "eval", "submit", "status", "doctor", "build-fixture-image"]);
  const args = rest.filter((a) => a !== "--auto");
  return args.some((a) => commands.has(a)) ? [...argv.slice(0, 2), ...args] : [...argv.slice(0, 2), "start", ...args];
}

export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  const json = argv.includes("--json");
  try {
    await program.parseAsync(withAuto(argv));
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : 2;
    }
    const hint = errorHint(error);
    if (json) createLogger({ json }).error((error as Error).message, hint ? { hint } : {});
    else process.stderr.write(`error: ${(error as Error).message}\n${hint ? `  next: ${hint}\n` : ""}`);
    if (!json && !hint && process.env.QUORUM_RUNNER_DEBUG) process.stderr.write(`${(error as Error).stack ?? ""}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}

// Run when executed (`pnpm runner`), not when imported by tests.
const invokedDirectly = process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (invokedDirectly) {
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
      // Everything is closed by now; if a stray handle (an HTTP keep-alive socket) lingers, do not hang on it.
      setTimeout(() => process.exit(code), 2000).unref();
    },
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

/** `--max-download-bytes`: a positive number of bytes (`200e9`, `5000000000`); unset means the default. */
function parseByteCap(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const bytes = Number(value);
  if (!Number.isFinite(bytes) || bytes <= 0) {
    throw new InvalidArgumentError(`--max-download-bytes: expected a positive number of bytes (e.g. 200e9), got ${JSON.stringify(value)}`);
  }
  return bytes;
}
