/**
 * The code executor: runs model-written Python programs for the runner and the server alike, so both reach the
 * same verdict from the same completion. Threat model and layers: docs/security.md, "Code execution".
 *
 * - CPython compiled to WebAssembly (the `pyodide` npm package, pinned) in a separate Node process started under
 *   Node's permission model: it may read pyodide's files and its own script, nothing else; no file writes, no child
 *   processes, no worker threads, no native addons. The program's "file system" is pyodide's in-memory one.
 * - The JavaScript bridge is removed (`import js` sees an empty object; `js`, `pyodide_js`, `pyodide.*` cannot be
 *   imported) and Node's network entry points are deleted from the child's globals.
 * - A static import/name blocklist (QUASAR's) is a second layer, never the only one.
 * - Per program: a wall-clock limit (the parent kills the child and starts a fresh one for the next program), a
 *   memory cap (WebAssembly pages and V8 heap), an output cap; a crash of the child fails that program only.
 * - One long-lived child per task runs its programs in sequence, each in a fresh namespace with the interpreter's
 *   builtins and module table restored afterwards.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { randomBytes } from "node:crypto";
import { realpathSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";

export interface CodeProgram {
  /** Everything before the test: for HumanEval, prompt + completion. */
  source: string;
  /** The test code defining `check(candidate)`. */
  test: string;
  entryPoint: string;
}

export interface ExecutionVerdict {
  passed: boolean;
  /** Why it failed ("" when it passed): shown per item, never compared between runners. */
  reason: string;
  ms: number;
}

export interface ExecutorOptions {
  /** Wall-clock limit per program (the reference harness's 3 s). */
  timeLimitMs?: number;
  /** Cap on the child's WebAssembly memory, in MiB. */
  memoryMiB?: number;
  /** Bytes a program may print before it fails. */
  outputLimitBytes?: number;
  /** How long the child may take to start (pyodide loads in 1-6 s). */
  startTimeoutMs?: number;
  /** The static blocklist; tests turn it off to show the sandbox holds without it. */
  blocklist?: boolean;
}

export const DEFAULT_TIME_LIMIT_MS = 3000;
export const DEFAULT_MEMORY_MIB = 512;
export const DEFAULT_OUTPUT_LIMIT_BYTES = 1 << 20;

export class ExecutorUnavailableError extends Error {}

function pyodideDir(): string {
  const dir = process.env.QUORUM_PYODIDE_DIR ?? path.join(process.cwd(), "node_modules", "pyodide");
  try {
    return realpathSync(dir);
  } catch {
    throw new ExecutorUnavailableError(`the code executor needs the pyodide package at ${dir} (run pnpm install)`);
  }
}

function childScript(): string {
  return realpathSync(path.join(process.cwd(), "src", "lib", "benchmarks", "code-executor", "child.mjs"));
}

interface Pending {
  id: number;
  nonce: string;
  resolve: (message: { status: string; reason: string }) => void;
}

class Child {
  private readonly process: ChildProcessWithoutNullStreams;
  private pending: Pending | null = null;
  private readonly ready: Promise<void>;
  exited = false;
  /** Set as soon as a kill is sent: the next program gets a fresh child. */
  killed = false;
  exitDescription = "";

  constructor(options: Required<ExecutorOptions>) {
    const dir = pyodideDir();
    const script = childScript();
    const args = [
      "--experimental-permission",
      `--allow-fs-read=${dir}/`,
      `--allow-fs-read=${script}`,
      `--wasm-max-mem-pages=${options.memoryMiB * 16}`,
      "--max-old-space-size=256",
      "--no-warnings",
      script,
      dir,
      String(options.outputLimitBytes),
    ];
    this.process = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"], env: { NODE_ENV: "production" } });
    let stderrTail = "";
    this.process.stderr.on("data", (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString("utf8")).slice(-2000);
    });
    let readyResolve!: () => void;
    let readyReject!: (error: Error) => void;
    this.ready = new Promise((resolve, reject) => {
      readyResolve = resolve;
      readyReject = reject;
    });
    const startTimer = setTimeout(() => {
      readyReject(new ExecutorUnavailableError(`the code executor did not start within ${options.startTimeoutMs} ms`));
      this.kill();
    }, options.startTimeoutMs);
    let started = false;
    const lines = createInterface({ input: this.process.stdout, crlfDelay: Infinity });
    lines.on("line", (line) => {
      let message: { ready?: boolean; id?: number; nonce?: string; status?: string; reason?: string; fatal?: boolean };
      try {
        message = JSON.parse(line) as typeof message;
      } catch {
        message = {};
      }
      if (!started) {
        if (message.ready) {
          started = true;
          clearTimeout(startTimer);
          readyResolve();
        }
        return;
      }
      const pending = this.pending;
      if (!pending) return;
      this.pending = null;
      // Anything that is not the answer to the request in flight (its id and secret nonce) fails that program.
      if (message.id !== pending.id || message.nonce !== pending.nonce || (message.status !== "pass" && message.status !== "fail")) {
        pending.resolve({ status: "fail", reason: "the program interfered with the executor's channel" });
        this.kill();
        return;
      }
      if (message.fatal) this.killed = true;
      pending.resolve({ status: message.status, reason: String(message.reason ?? "") });
    });
    this.process.on("exit", (code, signal) => {
      this.exited = true;
      this.exitDescription = signal ? `signal ${signal}` : `exit code ${code}`;
      clearTimeout(startTimer);
      if (!started) {
        readyReject(
          new ExecutorUnavailableError(`the code executor stopped while starting (${this.exitDescription}): ${stderrTail.trim().slice(-500)}`),
        );
      }
      const pending = this.pending;
      this.pending = null;
      const memory = /out of memory|allocation failed|Memory/i.test(stderrTail);
      pending?.resolve({
        status: "fail",
        reason: memory ? "out of memory (the executor stopped)" : `the executor stopped (${this.exitDescription})`,
      });
    });
  }

  start(): Promise<void> {
    return this.ready;
  }

  run(id: number, program: CodeProgram, blocklist: boolean): Promise<{ status: string; reason: string }> {
    const nonce = randomBytes(16).toString("hex");
    return new Promise((resolve) => {
      this.pending = { id, nonce, resolve };
      this.process.stdin.write(
        `${JSON.stringify({ id, nonce, source: program.source, test: program.test, entryPoint: program.entryPoint, blocklist })}\n`,
      );
    });
  }

  kill(): void {
    this.killed = true;
    if (!this.exited) this.process.kill("SIGKILL");
  }
}

/** One long-lived sandbox for a task's programs, run one after another. Always close() it. */
export class CodeExecutor {
  private readonly options: Required<ExecutorOptions>;
  private child: Child | null = null;
  private nextId = 1;
  /** How many children were started (1 + one per program that timed out or crashed). */
  starts = 0;

  constructor(options: ExecutorOptions = {}) {
    this.options = {
      timeLimitMs: options.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS,
      memoryMiB: options.memoryMiB ?? DEFAULT_MEMORY_MIB,
      outputLimitBytes: options.outputLimitBytes ?? DEFAULT_OUTPUT_LIMIT_BYTES,
      startTimeoutMs: options.startTimeoutMs ?? 60_000,
      blocklist: options.blocklist ?? true,
    };
  }

  private async ensureChild(): Promise<Child> {
    if (this.child && !this.child.exited && !this.child.killed) return this.child;
    const child = new Child(this.options);
    this.child = child;
    this.starts += 1;
    await child.start();
    return child;
  }

  /** Runs one program; the verdict names why it failed. Throws ExecutorUnavailableError if no sandbox can start. */
  async run(program: CodeProgram): Promise<ExecutionVerdict> {
    const child = await this.ensureChild();
    const started = performance.now();
    const id = this.nextId++;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<{ status: string; reason: string }>((resolve) => {
      timer = setTimeout(() => {
        resolve({ status: "fail", reason: `timed out after ${this.options.timeLimitMs / 1000} s` });
        child.kill();
      }, this.options.timeLimitMs);
    });
    const outcome = await Promise.race([child.run(id, program, this.options.blocklist), timeout]);
    clearTimeout(timer);
    return { passed: outcome.status === "pass", reason: outcome.reason, ms: performance.now() - started };
  }

  /** Runs programs in order in this sandbox. */
  async runAll(programs: readonly CodeProgram[], onProgress?: (done: number, total: number) => void): Promise<ExecutionVerdict[]> {
    const verdicts: ExecutionVerdict[] = [];
    for (const program of programs) {
      verdicts.push(await this.run(program));
      onProgress?.(verdicts.length, programs.length);
    }
    return verdicts;
  }

  close(): void {
    this.child?.kill();
    this.child = null;
  }
}

/** Runs programs in one fresh sandbox and closes it. */
export async function executePrograms(
  programs: readonly CodeProgram[],
  options: ExecutorOptions = {},
  onProgress?: (done: number, total: number) => void,
): Promise<ExecutionVerdict[]> {
  const executor = new CodeExecutor(options);
  try {
    return await executor.runAll(programs, onProgress);
  } finally {
    executor.close();
  }
}
