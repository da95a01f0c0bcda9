"""The warm engine's GPU proof: the transformers driver as a session (QUORUM_ENGINE_SESSION=1, the mode the runner
keeps warm between tasks of one model, runner/src/engines/session.ts) loads the model once and answers two jobs,
one after the other, by the job protocol (jobs/<n> appears whole by a rename; the driver writes <n>.output.jsonl
and then <n>.done). Each job's answers must equal the one-shot run's (the same driver, a fresh process): log-
likelihoods within 1e-3, generations identical.

  python3 warm.py <driver> <model dir> <requests dir> <one-shot output.jsonl> <report.json>

Writes the report (load time, each job's wall time, the largest difference, generations equal) and exits 1 when a
check fails.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

JOBS = 2
TOLERANCE = 1e-3


def read_output(path):
    answers = {}
    with open(path, encoding="utf-8") as handle:
        for text in handle:
            if text.strip():
                line = json.loads(text)
                answers[line["custom_id"]] = line["response"]["body"]["choices"][0]
    return answers


def compare(reference, candidate):
    """Largest absolute difference over the log-probabilities both report, and generations that differ."""
    if set(reference) != set(candidate):
        raise SystemExit("the warm job answered other requests than the one-shot run")
    max_diff = 0.0
    differing = 0
    for custom_id, choice in reference.items():
        other = candidate[custom_id]
        a = (choice.get("logprobs") or {}).get("token_logprobs") or []
        b = (other.get("logprobs") or {}).get("token_logprobs") or []
        if len(a) != len(b):
            raise SystemExit("%s: %d log-probabilities one-shot, %d warm" % (custom_id, len(a), len(b)))
        for x, y in zip(a, b):
            if x is not None and y is not None:
                max_diff = max(max_diff, abs(x - y))
        if not choice.get("logprobs") and choice.get("text") != other.get("text"):
            differing += 1
    return max_diff, differing


def main():
    driver, model, requests, one_shot, report_path = sys.argv[1:6]
    session = tempfile.mkdtemp(prefix="quorum-warm-")
    task_dir = os.path.join(session, "task")
    out_dir = os.path.join(session, "out")
    os.makedirs(os.path.join(task_dir, "jobs"))
    os.makedirs(out_dir)
    env = dict(os.environ, QUORUM_ENGINE_SESSION="1", QUORUM_TASK_DIR=task_dir, QUORUM_OUTPUT_DIR=out_dir,
               QUORUM_MODEL_PATH=model, QUORUM_DTYPE="float32", PYTHONUNBUFFERED="1")
    started = time.monotonic()
    stdout = open(os.path.join(session, "driver.stdout"), "w", encoding="utf-8")
    process = subprocess.Popen([sys.executable, driver], env=env, stdout=stdout)
    report = {"jobs": []}
    try:
        while not os.path.exists(os.path.join(out_dir, "ready")):
            if process.poll() is not None:
                raise SystemExit("the driver exited (%d) before it was ready" % process.returncode)
            time.sleep(0.05)
        report["load_seconds"] = time.monotonic() - started
        reference = read_output(one_shot)
        for n in range(1, JOBS + 1):
            staging = os.path.join(task_dir, "jobs", ".tmp-%d" % n)
            os.makedirs(staging)
            shutil.copy(os.path.join(requests, "requests.jsonl"), staging)
            job_started = time.monotonic()
            os.rename(staging, os.path.join(task_dir, "jobs", str(n)))
            done = os.path.join(out_dir, "%d.done" % n)
            while not os.path.exists(done):
                if process.poll() is not None:
                    raise SystemExit("the driver exited (%d) during job %d" % (process.returncode, n))
                time.sleep(0.02)
            seconds = time.monotonic() - job_started
            if not json.load(open(done, encoding="utf-8")).get("ok"):
                raise SystemExit("job %d failed: %s" % (n, open(done, encoding="utf-8").read()))
            max_diff, differing = compare(reference, read_output(os.path.join(out_dir, "%d.output.jsonl" % n)))
            report["jobs"].append({"job": n, "seconds": round(seconds, 3), "requests": len(reference),
                                   "max_abs_diff_vs_one_shot": max_diff, "differing_generations": differing})
            print("warm job %d: %.1f s, max |diff| vs one-shot %.3g, %d differing generations" % (n, seconds, max_diff, differing))
        report["process_starts"] = 1
        report["ok"] = all(j["max_abs_diff_vs_one_shot"] < TOLERANCE and j["differing_generations"] == 0 for j in report["jobs"])
    finally:
        process.kill()
        process.wait()
        stdout.close()
        shutil.rmtree(session, ignore_errors=True)
    with open(report_path, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2)
    print(json.dumps(report))
    sys.exit(0 if report["ok"] else 1)


if __name__ == "__main__":
    main()
