"""Quorum's vLLM batch driver: runs inside the official vLLM image, in the runner's sandbox (no network).

vLLM's own `run-batch` only accepts /v1/chat/completions (and embeddings/score) and ignores LoRA modules, but the
benchmarks need /v1/completions (greedy generation, and echo+logprobs for log-likelihoods, as lm-evaluation-harness
does it). So this driver starts vLLM's OpenAI server on the loopback interface inside the container (the only
interface a network-less container has), replays the OpenAI Batch input file against it, and writes the OpenAI
Batch output file in the format vLLM's run_batch writes (id, custom_id, response{status_code, request_id, body},
error). Python standard library only.

Environment (set by the runner's vllm engine adapter):
  QUORUM_MODEL_PATH       model directory (read-only mount)
  QUORUM_SERVED_NAME      the model name requests use
  QUORUM_LORA_PATH        optional: LoRA adapter directory; requests then use QUORUM_LORA_NAME
  QUORUM_LORA_NAME, QUORUM_MAX_LORA_RANK
  QUORUM_DTYPE, QUORUM_MAX_MODEL_LEN, QUORUM_TENSOR_PARALLEL, QUORUM_GPU_MEMORY_UTILIZATION
  QUORUM_VLLM_EXTRA_ARGS  JSON array of extra server arguments
  QUORUM_CONCURRENCY      requests in flight (default 32)
  QUORUM_STARTUP_TIMEOUT  seconds to wait for the server (default 1800)
  QUORUM_SERVER_COMMAND   JSON array replacing the server command (tests run a double of vLLM's server)
  QUORUM_TASK_DIR, QUORUM_OUTPUT_DIR (default /task, /out)
Stdout: {"quorum_engine": {...}} once, then {"quorum_progress": {"done": n, "total": m}} lines; when the server
dies, {"quorum_error": "<the server's own last error line>"} and exit code 1.

Prompts longer than the context are cut from the left, as lm-evaluation-harness's vLLM backend does: the prompt
is tokenised with the server's /tokenize (same tokenizer, BOS added as for completions), the last
max_model_len - max_tokens tokens are sent as token ids, and the response's usage/log-probabilities are padded back
to the full prompt's length (the cut tokens get null) so token positions stay those of the whole prompt.
`python3 vllm-batch-driver.py --print-command` prints the server command line as JSON (for tests).

Warm (QUORUM_ENGINE_SESSION=1): the server starts once and the driver answers job after job, /task/jobs/<n>/ into
/out/<n>.output.jsonl and /out/<n>.done (runner/src/engines/session.ts), until the runner stops the container.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import deque
from concurrent.futures import ThreadPoolExecutor

TASK_DIR = os.environ.get("QUORUM_TASK_DIR", "/task")
OUT_DIR = os.environ.get("QUORUM_OUTPUT_DIR", "/out")


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def log(message):
    sys.stderr.write("quorum-driver: " + message + "\n")
    sys.stderr.flush()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vllm_version():
    try:
        import importlib.metadata

        return importlib.metadata.version("vllm")
    except Exception:  # noqa: BLE001 - a double of the server has no vllm package
        return os.environ.get("QUORUM_ENGINE_VERSION", "unknown")


def server_command(port):
    override = os.environ.get("QUORUM_SERVER_COMMAND")
    if override:
        return json.loads(override) + ["--port", str(port)]
    cmd = [
        sys.executable, "-m", "vllm.entrypoints.openai.api_server",
        "--model", os.environ["QUORUM_MODEL_PATH"],
        "--served-model-name", os.environ.get("QUORUM_SERVED_NAME", "quorum-model"),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--dtype", os.environ.get("QUORUM_DTYPE", "auto"),
        "--max-model-len", os.environ.get("QUORUM_MAX_MODEL_LEN", "4096"),
        "--tensor-parallel-size", os.environ.get("QUORUM_TENSOR_PARALLEL", "1"),
        "--gpu-memory-utilization", os.environ.get("QUORUM_GPU_MEMORY_UTILIZATION", "0.9"),
        "--seed", "1234",
        "--enforce-eager",
        # Requests carry exactly the benchmark's sampling parameters: with the default "auto", the model's
        # generation_config.json (repetition_penalty, top_k, max_new_tokens) would become request defaults.
        "--generation-config", "vllm",
    ]
    lora = os.environ.get("QUORUM_LORA_PATH")
    if lora:
        cmd += [
            "--enable-lora",
            "--max-loras", "1",
            "--max-lora-rank", os.environ.get("QUORUM_MAX_LORA_RANK", "16"),
            "--lora-modules", "%s=%s" % (os.environ.get("QUORUM_LORA_NAME", "quorum-adapter"), lora),
        ]
    cmd += json.loads(os.environ.get("QUORUM_VLLM_EXTRA_ARGS", "[]"))
    return cmd


class ServerDied(Exception):
    pass


class ServerLog:
    """Copies the server's output to stderr and keeps its last lines, to name its own error when it dies."""

    def __init__(self, proc):
        self.lines = deque(maxlen=200)
        self.thread = threading.Thread(target=self.pump, args=(proc.stdout,), daemon=True)
        self.thread.start()

    def pump(self, stream):
        for raw in iter(stream.readline, b""):
            text = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append(text)
            sys.stderr.write(text + "\n")
        sys.stderr.flush()

    def last_error(self):
        self.thread.join(timeout=5)
        lines = [line.strip() for line in self.lines if line.strip()]
        for line in reversed(lines):
            if "Error" in line or "Exception" in line or "error:" in line:
                return line[-800:]
        return lines[-1][-800:] if lines else "no output"


def post_json(base, route, body, timeout=3600):
    request = urllib.request.Request(
        base + route, data=json.dumps(body).encode("utf-8"), headers={"content-type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status, json.loads(response.read().decode("utf-8"))


def cut_left(base, body, max_model_len):
    """The body with its prompt cut from the left to fit the context, and how many tokens were cut (0, None)."""
    prompt = body.get("prompt")
    budget = max_model_len - int(body.get("max_tokens") or 16)
    # A token covers at least one byte: shorter prompts fit without asking the tokenizer.
    if not isinstance(prompt, str) or len(prompt.encode("utf-8")) <= budget:
        return body, 0, None
    _, tokenized = post_json(base, "/tokenize", {"model": body["model"], "prompt": prompt}, timeout=600)
    tokens = tokenized["tokens"]
    if len(tokens) <= budget:
        return body, 0, None
    if budget < 1:
        raise ValueError("max_tokens %s leaves no room for a prompt in a context of %d tokens" % (body.get("max_tokens"), max_model_len))
    cut = dict(body)
    cut["prompt"] = tokens[len(tokens) - budget:]
    return cut, len(tokens) - budget, len(tokens)


def pad_back(body, dropped, total):
    """Positions of the whole prompt again: the cut tokens get null log-probabilities."""
    usage = body.get("usage") or {}
    usage["prompt_tokens"] = total
    body["usage"] = usage
    for choice in body.get("choices") or []:
        logprobs = choice.get("logprobs")
        if not logprobs:
            continue
        for key, fill in (("token_logprobs", None), ("top_logprobs", None), ("tokens", ""), ("text_offset", 0)):
            if isinstance(logprobs.get(key), list):
                logprobs[key] = [fill] * dropped + logprobs[key]
    return body


def wait_healthy(base, proc, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerDied("the vLLM server exited with code %s before it was ready" % proc.returncode)
        try:
            with urllib.request.urlopen(base + "/health", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    raise ServerDied("the vLLM server was not ready after %d s" % timeout)


def post(base, line, max_model_len, proc, attempts=3):
    out = {"id": "vllm-" + uuid.uuid4().hex, "custom_id": line["custom_id"]}
    request_id = "vllm-batch-" + uuid.uuid4().hex
    for attempt in range(attempts):
        try:
            body, dropped, total = cut_left(base, line["body"], max_model_len)
            status, answer = post_json(base, line["url"], body)
            if dropped:
                answer = pad_back(answer, dropped, total)
            out["response"] = {"status_code": status, "request_id": request_id, "body": answer}
            out["error"] = None
        except urllib.error.HTTPError as error:
            text = error.read().decode("utf-8", "replace")
            try:
                detail = json.loads(text)
            except ValueError:
                detail = text
            out["response"] = {"status_code": error.code, "request_id": request_id, "body": None}
            out["error"] = detail
        except (urllib.error.URLError, ConnectionError, OSError) as error:
            # A refused or reset connection: either the server is going down (then its own error is the failure)
            # or it was momentarily busy (then the request is sent again).
            try:
                proc.wait(timeout=2 * (attempt + 1))
            except subprocess.TimeoutExpired:
                pass
            if proc.poll() is not None:
                raise ServerDied("the vLLM server exited with code %s mid-run" % proc.returncode) from error
            out["response"] = {"status_code": 400, "request_id": request_id, "body": None}
            out["error"] = str(error)
            continue
        except Exception as error:  # noqa: BLE001 - reported per line, like run_batch does
            out["response"] = {"status_code": 400, "request_id": request_id, "body": None}
            out["error"] = str(error)
        break
    return out


def answer(base, lines, max_model_len, proc, out_path):
    """Replays one batch against the server; writes the batch output file atomically."""
    log("server ready; sending %d requests" % len(lines))
    results = [None] * len(lines)
    done = [0]
    lock = threading.Lock()
    emit({"quorum_progress": {"done": 0, "total": len(lines)}})

    def work(index):
        results[index] = post(base, lines[index], max_model_len, proc)
        with lock:
            done[0] += 1
            emit({"quorum_progress": {"done": done[0], "total": len(lines)}})

    with ThreadPoolExecutor(max_workers=int(os.environ.get("QUORUM_CONCURRENCY", "32"))) as pool:
        list(pool.map(work, range(len(lines))))
    tmp = out_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        for result in results:
            handle.write(json.dumps(result) + "\n")
    os.replace(tmp, out_path)
    failed = sum(1 for r in results if r["error"] is not None)
    log("done: %d responses, %d failed" % (len(results), failed))


def read_lines(directory):
    with open(os.path.join(directory, "requests.jsonl"), encoding="utf-8") as handle:
        return [json.loads(text) for text in handle if text.strip()]


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def serve(base, proc, max_model_len):
    """A warm engine (QUORUM_ENGINE_SESSION=1): one server start, then job after job (runner/src/engines/session.ts):
    /task/jobs/<n>/requests.jsonl in, /out/<n>.output.jsonl and then /out/<n>.done out, until the runner stops the
    container. The server dying between jobs ends the driver, so the runner's health check sees a stopped engine."""
    write_atomic(os.path.join(OUT_DIR, "ready"), "")
    n = 1
    while True:
        job = os.path.join(TASK_DIR, "jobs", str(n))
        while not os.path.isdir(job):
            if proc.poll() is not None:
                raise ServerDied("the vLLM server exited with code %d between jobs" % proc.returncode)
            time.sleep(0.02)
        answer(base, read_lines(job), max_model_len, proc, os.path.join(OUT_DIR, "%d.output.jsonl" % n))
        write_atomic(os.path.join(OUT_DIR, "%d.done" % n), json.dumps({"ok": True}))
        n += 1


def main():
    if "--print-command" in sys.argv:
        print(json.dumps(server_command(0)))
        return
    session = os.environ.get("QUORUM_ENGINE_SESSION") == "1"
    lines = None if session else read_lines(TASK_DIR)
    emit({"quorum_engine": {"name": "vllm", "version": vllm_version()}})

    port = free_port()
    proc = subprocess.Popen(server_command(port), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    server_log = ServerLog(proc)
    max_model_len = int(os.environ.get("QUORUM_MAX_MODEL_LEN", "4096"))

    def stop_server(*_):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()

    signal.signal(signal.SIGTERM, lambda *_: (stop_server(), sys.exit(143)))
    base = "http://127.0.0.1:%d" % port
    try:
        wait_healthy(base, proc, int(os.environ.get("QUORUM_STARTUP_TIMEOUT", "1800")))
        if session:
            serve(base, proc, max_model_len)
        else:
            answer(base, lines, max_model_len, proc, os.path.join(OUT_DIR, "output.jsonl"))
    except ServerDied as died:
        stop_server()
        emit({"quorum_error": "%s: %s" % (died, server_log.last_error())})
        log(str(died))
        sys.exit(1)
    finally:
        stop_server()


if __name__ == "__main__":
    main()
