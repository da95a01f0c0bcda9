// The fixture engine: a test double for a model, not a model. It runs inside the sandbox exactly like the vLLM
// engine does (same mounts, same limits, same OpenAI Batch files) and answers from a key file that the runner's
// adapter wrote into the task dir from the benchmark's gold answers. Its behaviour follows the model's name.
//
// In:  /task/requests.jsonl   OpenAI Batch input, one request per line (built by the benchmark module)
//      /task/fixture-key.json {"answers": {"<custom_id>": {"correct": <body>, "wrong": <body>}}}
//      env QUORUM_FIXTURE_MODEL (fixture/<behaviour>), QUORUM_RUNNER_NAME, QUORUM_FIXTURE_SECONDS,
//          QUORUM_FIXTURE_START_SECONDS and QUORUM_FIXTURE_COMPUTE_SECONDS (bench delays: start-up, then compute),
//          QUORUM_FIXTURE_NET_PROBE ("host:port,host:port", for fixture/net)
// Out: /out/output.jsonl      OpenAI Batch output (the format vLLM's batch runner writes)
//      stdout                 {"quorum_progress": {"done": n, "total": m}} lines
//      /out/*-probe.json      what the sandbox-probing behaviours saw
// Warm (env QUORUM_ENGINE_SESSION=1): starts once (QUORUM_FIXTURE_START_SECONDS), writes /out/ready, then answers
// jobs one after the other: /task/jobs/<n>/ (requests.jsonl, fixture-key.json, job.json {"computeSeconds"}) into
// /out/<n>.output.jsonl, then /out/<n>.done; see runner/src/engines/session.ts. It runs until it is stopped.
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync, appendFileSync } from "node:fs";
import net from "node:net";
import dns from "node:dns/promises";
import { answersCorrectly, parseFixtureModel } from "./rules.mjs";

const TASK_DIR = process.env.QUORUM_TASK_DIR || "/task";
const OUT_DIR = process.env.QUORUM_OUTPUT_DIR || "/out";

function progress(done, total) {
  process.stdout.write(`${JSON.stringify({ quorum_progress: { done, total } })}\n`);
}

function readRequests(taskDir = TASK_DIR) {
  const text = readFileSync(`${taskDir}/requests.jsonl`, "utf8");
  return text
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line));
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function answer(parsed, runnerName, secondsTotal, job = { taskDir: TASK_DIR, out: `${OUT_DIR}/output.jsonl` }) {
  const requests = readRequests(job.taskDir);
  const key = JSON.parse(readFileSync(`${job.taskDir}/fixture-key.json`, "utf8"));
  const correct = answersCorrectly(parsed, runnerName);
  const out = job.out;
  writeFileSync(out, "");
  const pause = requests.length > 0 ? (secondsTotal * 1000) / requests.length : 0;
  let n = 0;
  for (const request of requests) {
    if (pause > 0) await sleep(pause);
    n += 1;
    const entry = key.answers?.[request.custom_id];
    const line = entry
      ? {
          id: `fixture-${n}`,
          custom_id: request.custom_id,
          response: { status_code: 200, request_id: `fixture-req-${n}`, body: correct ? entry.correct : entry.wrong },
          error: null,
        }
      : {
          id: `fixture-${n}`,
          custom_id: request.custom_id,
          response: { status_code: 400, request_id: `fixture-req-${n}`, body: null },
          error: "the fixture key has no answer for this request",
        };
    appendFileSync(out, `${JSON.stringify(line)}\n`);
    progress(n, requests.length);
  }
  process.stderr.write(`${parsed.behaviour}: answered ${requests.length} requests ${correct ? "correctly" : "wrongly"}\n`);
}

async function forkbomb() {
  const children = [];
  let error = null;
  while (!error && children.length < 100_000) {
    try {
      const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1e9)"], { stdio: "ignore" });
      const failed = await new Promise((resolve) => {
        child.once("spawn", () => resolve(null));
        child.once("error", (e) => resolve(e));
      });
      if (failed) error = failed;
      else children.push(child);
    } catch (e) {
      error = e;
    }
  }
  const report = { spawned: children.length, error: error ? String(error.code || error.message) : null };
  writeFileSync(`${OUT_DIR}/forkbomb-probe.json`, JSON.stringify(report));
  process.stderr.write(`forkbomb: contained after ${children.length} processes (${report.error})\n`);
  process.exitCode = 2;
  for (const child of children) child.kill("SIGKILL");
}

async function memhog() {
  const chunks = [];
  for (let i = 1; ; i += 1) {
    chunks.push(Buffer.alloc(32 * 1024 * 1024, i % 251));
    if (i % 4 === 0) process.stderr.write(`memhog: holding ${i * 32} MiB\n`);
    await sleep(1);
  }
}

async function probeNet() {
  const targets = ["1.1.1.1:443", "8.8.8.8:53", "172.17.0.1:80"];
  for (const extra of (process.env.QUORUM_FIXTURE_NET_PROBE || "").split(",")) if (extra.trim()) targets.push(extra.trim());
  const attempts = [];
  for (const target of targets) {
    const colon = target.lastIndexOf(":");
    const host = target.slice(0, colon);
    const port = Number(target.slice(colon + 1));
    const result = await new Promise((resolve) => {
      const socket = net.connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        resolve({ target, ok: false, error: "TIMEOUT" });
      }, 2000);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ target, ok: true, error: null });
      });
      socket.once("error", (e) => {
        clearTimeout(timer);
        resolve({ target, ok: false, error: e.code || e.message });
      });
    });
    attempts.push(result);
  }
  try {
    await dns.lookup("example.com");
    attempts.push({ target: "dns:example.com", ok: true, error: null });
  } catch (e) {
    attempts.push({ target: "dns:example.com", ok: false, error: e.code || e.message });
  }
  writeFileSync(`${OUT_DIR}/net-probe.json`, JSON.stringify({ attempts }));
  const reached = attempts.filter((a) => a.ok);
  if (reached.length > 0) {
    process.stderr.write(`net: reached the network (${reached.map((a) => a.target).join(", ")}): the sandbox leaks\n`);
    process.exitCode = 4;
    return false;
  }
  process.stderr.write(`net: no network, as expected (${attempts.map((a) => `${a.target} ${a.error}`).join("; ")})\n`);
  return true;
}

function probeWrites() {
  const forbidden = ["/escape-probe", "/etc/escape-probe", "/usr/escape-probe", `${TASK_DIR}/escape-probe`, "/models/escape-probe", "/var/escape-probe"];
  const allowed = [`${OUT_DIR}/escape-probe`, "/tmp/escape-probe"];
  const attempts = [];
  for (const file of [...forbidden, ...allowed]) {
    try {
      writeFileSync(file, "x");
      attempts.push({ file, ok: true, error: null, allowed: allowed.includes(file) });
    } catch (e) {
      attempts.push({ file, ok: false, error: e.code || e.message, allowed: allowed.includes(file) });
    }
  }
  // The scratch dir must run what the engine writes there (compiled kernels): write a program and run it.
  let scratchExec;
  try {
    writeFileSync("/tmp/exec-probe", `#!${process.execPath}\nprocess.stdout.write("ran from /tmp");\n`);
    chmodSync("/tmp/exec-probe", 0o755);
    scratchExec = { ok: execFileSync("/tmp/exec-probe", { encoding: "utf8" }) === "ran from /tmp", error: null };
  } catch (e) {
    scratchExec = { ok: false, error: e.code || e.message };
  }
  writeFileSync(`${OUT_DIR}/escape-probe.json`, JSON.stringify({ uid: process.getuid?.() ?? null, attempts, scratchExec }));
  const leaks = attempts.filter((a) => a.ok && !a.allowed);
  if (leaks.length > 0) {
    process.stderr.write(`escape: wrote outside the output dir (${leaks.map((a) => a.file).join(", ")}): the sandbox leaks\n`);
    process.exitCode = 5;
    return false;
  }
  return true;
}

/** A warm engine: one start, then job after job until the runner stops the container. */
async function serve(parsed, runnerName) {
  const start = Number(process.env.QUORUM_FIXTURE_START_SECONDS || 0);
  if (start > 0) await sleep(start * 1000);
  writeFileSync(`${OUT_DIR}/ready`, "");
  for (let n = 1; ; n += 1) {
    const taskDir = `${TASK_DIR}/jobs/${n}`;
    while (!existsSync(taskDir)) await sleep(5);
    const job = JSON.parse(readFileSync(`${taskDir}/job.json`, "utf8"));
    await behave(parsed, runnerName, { taskDir, out: `${OUT_DIR}/${n}.output.jsonl`, computeSeconds: Number(job.computeSeconds || 0) });
    if (process.exitCode) return;
    // Atomic: the runner never sees a half-written marker.
    writeFileSync(`${OUT_DIR}/.${n}.done.tmp`, JSON.stringify({ ok: true }));
    renameSync(`${OUT_DIR}/.${n}.done.tmp`, `${OUT_DIR}/${n}.done`);
  }
}

async function main() {
  const parsed = parseFixtureModel(process.env.QUORUM_FIXTURE_MODEL, process.env);
  const runnerName = process.env.QUORUM_RUNNER_NAME || "";
  if (process.env.QUORUM_ENGINE_SESSION === "1") return serve(parsed, runnerName);
  // Bench delays: an engine start (loading weights), then compute spread over the requests.
  const start = Number(process.env.QUORUM_FIXTURE_START_SECONDS || 0);
  if (start > 0 && ["perfect", "wrong", "noisy"].includes(parsed.behaviour)) await sleep(start * 1000);
  return behave(parsed, runnerName, { taskDir: TASK_DIR, out: `${OUT_DIR}/output.jsonl`, computeSeconds: Number(process.env.QUORUM_FIXTURE_COMPUTE_SECONDS || 0) });
}

/** One task's (or job's) behaviour, by the model's name. */
async function behave(parsed, runnerName, job) {
  switch (parsed.behaviour) {
    case "perfect":
    case "wrong":
    case "noisy":
      return answer(parsed, runnerName, job.computeSeconds, job);
    case "slow":
      return answer(parsed, runnerName, parsed.seconds, job);
    case "crash": {
      const requests = readRequests(job.taskDir);
      writeFileSync(job.out, "");
      progress(0, requests.length);
      process.stderr.write("crash: simulated engine crash (a double for a CUDA error)\n");
      process.exitCode = 3;
      return;
    }
    case "hang":
      process.stderr.write("hang: never answering\n");
      await new Promise(() => setInterval(() => {}, 1 << 30));
      return;
    case "forkbomb":
      return forkbomb();
    case "memhog":
      return memhog();
    case "net":
      if (await probeNet()) return answer(parsed, runnerName, 0, job);
      return;
    case "escape":
      if (probeWrites()) return answer(parsed, runnerName, 0, job);
      return;
  }
}

main().catch((error) => {
  process.stderr.write(`fixture engine failed: ${error && error.stack ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
