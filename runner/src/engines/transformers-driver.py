"""Quorum's transformers driver: lm-evaluation-harness's reference backend (`hf`) as an engine.

Runs inside the pinned vLLM image (which ships torch and transformers), in the runner's sandbox (no network), on the
GPUs Docker passes through (or the CPU). It reads the same OpenAI Batch input the vllm engine gets and writes the
same OpenAI Batch output (vLLM's /v1/completions response bodies), so the benchmark module parses both alike:

- generation lines ({prompt, max_tokens, stop}): greedy decoding (do_sample=False), the text cut at the first stop
  sequence, at most max_tokens new tokens; batched with left padding.
- log-likelihood lines ({prompt: context + continuation, echo, logprobs}): one forward pass over the whole prompt;
  every token after the first gets log_softmax(logits of the previous position)[token], as the harness's `hf` model
  computes it (the continuation is the tokens of context + continuation after the context's; the benchmark module
  picks them with the context line's token count and sums them). top_logprobs holds the actual token and the
  argmax token (keys are token ids), so "greedy" means the argmax equals the actual token at every continuation
  position, the harness's is_greedy. Batched with right padding.
- context lines (custom_id ctx/...): only their token count is used, so they are tokenised and not run.
Prompts are tokenised with the model's tokenizer and its special tokens (BOS), as vLLM's server does. Prompts longer
than the model's context are cut from the left as the harness does (log-likelihoods: the last max_length + 1
tokens, the cut ones get null; generation: the last max_length - max_tokens).

Environment: QUORUM_MODEL_PATH, QUORUM_LORA_PATH (optional: a PEFT adapter, needs the `peft` package),
QUORUM_DTYPE (float16|bfloat16|float32|auto), QUORUM_MAX_MODEL_LEN, QUORUM_BATCH_SIZE (default 16),
QUORUM_DEVICE (default cuda when available), QUORUM_TASK_DIR, QUORUM_OUTPUT_DIR, QUORUM_ENGINE_SESSION (1: a warm
engine that keeps the model loaded and answers job after job, see runner/src/engines/session.ts).
Stdout: {"quorum_engine": {...}}, {"quorum_progress": {...}} lines, {"quorum_stats": {...}} at the end, and
{"quorum_error": "..."} before exiting 1 when the model cannot run here.
"""

import json
import os
import sys
import time
import uuid

TASK_DIR = os.environ.get("QUORUM_TASK_DIR", "/task")
OUT_DIR = os.environ.get("QUORUM_OUTPUT_DIR", "/out")
CONTEXT_PREFIX = "ctx/"


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def log(message):
    sys.stderr.write("quorum-transformers: " + message + "\n")
    sys.stderr.flush()


def fail(message):
    emit({"quorum_error": message})
    log(message)
    sys.exit(1)


def load(torch, transformers):
    path = os.environ["QUORUM_MODEL_PATH"]
    dtype_name = os.environ.get("QUORUM_DTYPE", "auto")
    dtype = "auto" if dtype_name == "auto" else getattr(torch, dtype_name)
    device = os.environ.get("QUORUM_DEVICE") or ("cuda" if torch.cuda.is_available() else "cpu")
    kwargs = {"dtype": dtype}
    if device == "cuda" and torch.cuda.device_count() > 1:
        try:
            import accelerate  # noqa: F401 - device_map needs it

            kwargs["device_map"] = "auto"
        except ImportError:
            log("accelerate is missing: using one GPU")
    tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = transformers.AutoModelForCausalLM.from_pretrained(path, local_files_only=True, **kwargs)
    lora = os.environ.get("QUORUM_LORA_PATH")
    if lora:
        try:
            import peft
        except ImportError:
            fail("this image has no `peft` package, so the transformers engine cannot run adapters; use --engine vllm")
        model = peft.PeftModel.from_pretrained(model, lora, local_files_only=True)
    if "device_map" not in kwargs:
        model.to(device)
    model.eval()
    # Exactly the benchmark's sampling, as the vllm engine's --generation-config vllm: the model's
    # generation_config.json (repetition_penalty, top_k, ...) must not change greedy decoding. Its EOS ids stay.
    eos = model.generation_config.eos_token_id
    model.generation_config = transformers.GenerationConfig(eos_token_id=eos, bos_token_id=model.generation_config.bos_token_id)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token if tokenizer.eos_token is not None else tokenizer.convert_ids_to_tokens(0)
    return tokenizer, model, next(model.parameters()).device


def model_max_length(model):
    config = model.config
    lengths = [getattr(config, key, None) for key in ("max_position_embeddings", "n_positions", "max_seq_len", "seq_length")]
    lengths = [n for n in lengths if isinstance(n, int) and n > 0]
    wanted = int(os.environ.get("QUORUM_MAX_MODEL_LEN", "4096"))
    return min([wanted] + lengths)


def completion(body, prompt_tokens, text="", logprobs=None, generated=0, finish="length"):
    return {
        "id": "cmpl-" + uuid.uuid4().hex,
        "object": "text_completion",
        "created": int(time.time()),
        "model": body.get("model"),
        "choices": [{"index": 0, "text": text, "logprobs": logprobs, "finish_reason": finish, "stop_reason": None, "prompt_logprobs": None}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": generated, "total_tokens": prompt_tokens + generated},
    }


def loglikelihoods(torch, model, device, pad_id, batch, max_length):
    """[(tokens)] -> [(token_logprobs, top_logprobs)] over each whole prompt (first token null, cut tokens null)."""
    windows = []
    for tokens in batch:
        cut = max(0, len(tokens) - (max_length + 1))
        windows.append((cut, tokens[cut:]))
    width = max(len(w) - 1 for _, w in windows)
    inputs = torch.full((len(windows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(windows), width), dtype=torch.long)
    for row, (_, window) in enumerate(windows):
        inputs[row, : len(window) - 1] = torch.tensor(window[:-1], dtype=torch.long)
        mask[row, : len(window) - 1] = 1
    with torch.no_grad():
        logits = model(input_ids=inputs.to(device), attention_mask=mask.to(device)).logits
        logprobs = torch.log_softmax(logits.float(), dim=-1)
    results = []
    for row, (cut, window) in enumerate(windows):
        n = len(window) - 1
        targets = torch.tensor(window[1:], dtype=torch.long, device=logprobs.device)
        rows = logprobs[row, :n]
        actual = rows.gather(1, targets.unsqueeze(1)).squeeze(1).tolist()
        top_values, top_ids = rows.max(dim=-1)
        token_logprobs = [None] * (cut + 1) + actual
        tops = [None] * (cut + 1)
        for t, token in enumerate(window[1:]):
            entry = {str(token): actual[t]}
            top_id = int(top_ids[t])
            if top_id != token:
                entry[str(top_id)] = float(top_values[t])
            tops.append(entry)
        results.append((token_logprobs, tops))
    return results


def generate(torch, model, tokenizer, device, batch, max_length):
    """[(tokens, max_tokens, stop)] -> [(text, new token count, finish)]: greedy, cut at the stop sequences."""
    max_new = max(m for _, m, _ in batch)
    rows = [tokens[-max(1, max_length - max_new):] for tokens, _, _ in batch]
    width = max(len(r) for r in rows)
    pad_id = tokenizer.pad_token_id
    inputs = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        inputs[i, width - len(r):] = torch.tensor(r, dtype=torch.long)
        mask[i, width - len(r):] = 1
    stops = sorted({s for _, _, stop in batch for s in stop})
    kwargs = {}
    if stops:
        kwargs["stop_strings"] = stops
        kwargs["tokenizer"] = tokenizer
    with torch.no_grad():
        out = model.generate(
            input_ids=inputs.to(device),
            attention_mask=mask.to(device),
            max_new_tokens=max_new,
            do_sample=False,
            temperature=None,
            top_p=None,
            top_k=None,
            num_beams=1,
            pad_token_id=pad_id,
            **kwargs,
        )
    results = []
    eos = model.generation_config.eos_token_id
    eos = set(eos if isinstance(eos, list) else [eos] if eos is not None else []) | ({tokenizer.eos_token_id} - {None})
    for i, (_, max_tokens, stop) in enumerate(batch):
        new = out[i, width:].tolist()[:max_tokens]
        finish = "length"
        ends = [k for k, token in enumerate(new) if token in eos]
        if ends:
            new = new[: ends[0]]
            finish = "stop"
        text = tokenizer.decode(new, skip_special_tokens=True)
        for s in stop:
            at = text.find(s)
            if at >= 0:
                text, finish = text[:at], "stop"
        results.append((text, len(new), finish))
    return results


def read_lines(directory):
    with open(os.path.join(directory, "requests.jsonl"), encoding="utf-8") as handle:
        return [json.loads(text) for text in handle if text.strip()]


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def main():
    started = time.monotonic()
    session = os.environ.get("QUORUM_ENGINE_SESSION") == "1"
    lines = None if session else read_lines(TASK_DIR)
    try:
        import torch
        import transformers
    except ImportError as error:
        fail("this image has no %s: the transformers engine needs torch and transformers" % error.name)
    emit({"quorum_engine": {"name": "transformers", "version": "transformers-%s torch-%s" % (transformers.__version__, torch.__version__.split("+")[0])}})
    torch.manual_seed(1234)
    tokenizer, model, device = load(torch, transformers)
    loaded = time.monotonic()
    max_length = model_max_length(model)
    batch_size = int(os.environ.get("QUORUM_BATCH_SIZE", "16"))
    engine = (torch, tokenizer, model, device, max_length, batch_size, loaded - started)
    if not session:
        log("model loaded on %s (max length %d); %d requests" % (device, max_length, len(lines)))
        answer(engine, lines, os.path.join(OUT_DIR, "output.jsonl"))
        return
    # A warm engine: the model stays loaded and the driver answers job after job (runner/src/engines/session.ts),
    # /task/jobs/<n>/ into /out/<n>.output.jsonl and then /out/<n>.done, until the runner stops the container.
    log("model loaded on %s (max length %d); waiting for jobs" % (device, max_length))
    write_atomic(os.path.join(OUT_DIR, "ready"), "")
    n = 1
    while True:
        job = os.path.join(TASK_DIR, "jobs", str(n))
        while not os.path.isdir(job):
            time.sleep(0.02)
        answer(engine, read_lines(job), os.path.join(OUT_DIR, "%d.output.jsonl" % n))
        write_atomic(os.path.join(OUT_DIR, "%d.done" % n), json.dumps({"ok": True}))
        n += 1


def answer(engine, lines, out_path):
    """Answers one batch with the loaded model; writes the batch output file atomically."""
    torch, tokenizer, model, device, max_length, batch_size, load_seconds = engine
    results = [None] * len(lines)
    done = 0
    emit({"quorum_progress": {"done": 0, "total": len(lines)}})
    scored, generating = [], []
    for index, line in enumerate(lines):
        body = line["body"]
        tokens = tokenizer(body["prompt"])["input_ids"]
        if line["custom_id"].startswith(CONTEXT_PREFIX):
            results[index] = completion(body, len(tokens))
            done += 1
        elif body.get("echo"):
            scored.append((index, tokens))
        else:
            generating.append((index, tokens, int(body.get("max_tokens") or 16), list(body.get("stop") or [])))
    stats = {"loglikelihood_requests": len(scored), "generate_requests": len(generating), "scored_tokens": 0, "generated_tokens": 0}

    # Longest first, so that a batch holds prompts of similar length (less padding), as the harness sorts.
    scored.sort(key=lambda x: -len(x[1]))
    t0 = time.monotonic()
    for start in range(0, len(scored), batch_size):
        chunk = scored[start : start + batch_size]
        for (index, tokens), (token_logprobs, tops) in zip(chunk, loglikelihoods(torch, model, device, tokenizer.pad_token_id, [t for _, t in chunk], max_length)):
            body = lines[index]["body"]
            stats["scored_tokens"] += len(tokens)
            logprobs = {"text_offset": list(range(len(tokens))), "token_logprobs": token_logprobs, "tokens": [str(t) for t in tokens], "top_logprobs": tops}
            results[index] = completion(body, len(tokens), text=body["prompt"], logprobs=logprobs)
        done += len(chunk)
        emit({"quorum_progress": {"done": done, "total": len(lines)}})
    stats["loglikelihood_seconds"] = time.monotonic() - t0

    generating.sort(key=lambda x: -len(x[1]))
    t0 = time.monotonic()
    for start in range(0, len(generating), batch_size):
        chunk = generating[start : start + batch_size]
        answers = generate(torch, model, tokenizer, device, [(t, m, s) for _, t, m, s in chunk], max_length)
        for (index, tokens, _, _), (text, count, finish) in zip(chunk, answers):
            stats["generated_tokens"] += count
            results[index] = completion(lines[index]["body"], len(tokens), text=text, generated=count, finish=finish)
        done += len(chunk)
        emit({"quorum_progress": {"done": done, "total": len(lines)}})
    stats["generate_seconds"] = time.monotonic() - t0
    stats["load_seconds"] = load_seconds
    stats["device"] = torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu"

    tmp = out_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        for line, body in zip(lines, results):
            handle.write(json.dumps({
                "id": "transformers-" + uuid.uuid4().hex,
                "custom_id": line["custom_id"],
                "response": {"status_code": 200, "request_id": "transformers-batch-" + uuid.uuid4().hex, "body": body},
                "error": None,
            }) + "\n")
    os.replace(tmp, out_path)
    emit({"quorum_stats": stats})
    log("done: %d responses" % len(results))


if __name__ == "__main__":
    main()
