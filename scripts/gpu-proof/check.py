"""Checks the transformers driver's output against an independent plain-torch computation.

Log-likelihoods: for every log-likelihood line the continuation is found as lm-evaluation-harness's `_encode_pair`
finds it (whole = tokens of context + continuation, context = tokens of the context line's prompt, continuation =
whole[len(context):]), and summed from one unbatched forward pass (log_softmax of the previous position's logits,
cut from the left to the model's length as the harness does); is_greedy is the argmax check. The driver's answer is
summed the way the runner's benchmark module reads it (token_logprobs from the context's token count on).
Generations: each prompt alone through model.generate (greedy), cut at EOS and at the stop sequences.
Usage: python check.py <model dir> <requests.jsonl> <driver output.jsonl> <report.json> [--device cuda]
Prints the report; exits 1 when a log-likelihood differs by more than --tolerance (default 1e-3) or a
generation differs.
"""

import argparse
import hashlib
import json
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("requests")
    parser.add_argument("output")
    parser.add_argument("report")
    parser.add_argument("--device", default=None)
    parser.add_argument("--tolerance", type=float, default=1e-3)
    parser.add_argument("--max-length", type=int, default=4096)
    parser.add_argument("--slim", default=None, help="also write the output without the context positions, gzipped")
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    model = AutoModelForCausalLM.from_pretrained(args.model, dtype=torch.float32).to(device).eval()
    max_length = min(args.max_length, model.config.max_position_embeddings)

    lines = [json.loads(t) for t in open(args.requests, encoding="utf-8") if t.strip()]
    answers = {}
    for t in open(args.output, encoding="utf-8"):
        if t.strip():
            line = json.loads(t)
            answers[line["custom_id"]] = line["response"]["body"]
    contexts = {l["custom_id"]: l["body"]["prompt"] for l in lines if l["custom_id"].startswith("ctx/")}

    def context_id(context):
        return "ctx/" + hashlib.sha256(context.encode("utf-8")).hexdigest()[:16]

    # Which context each log-likelihood line has: the longest context line whose prompt starts it.
    by_prompt = sorted(contexts.items(), key=lambda kv: -len(kv[1]))
    report = {"loglikelihoods": 0, "max_abs_diff": 0.0, "greedy_mismatches": 0, "generations": 0, "identical_generations": 0, "mismatches": []}
    for line in lines:
        cid, body = line["custom_id"], line["body"]
        if cid.startswith("ctx/"):
            continue
        answer = answers[cid]
        if body.get("echo"):
            context = next(text for key, text in by_prompt if body["prompt"].startswith(text) and len(text) < len(body["prompt"]))
            whole = tokenizer(body["prompt"])["input_ids"]
            n_context = len(tokenizer(context)["input_ids"])
            assert answers[context_id(context)]["usage"]["prompt_tokens"] == n_context, "context token count differs for " + cid
            continuation = whole[n_context:]
            window = whole[-(max_length + 1):]
            with torch.no_grad():
                logits = model(torch.tensor([window[:-1]], device=device)).logits[0]
            logprobs = torch.log_softmax(logits.float(), dim=-1)
            targets = torch.tensor(window[1:], device=device)
            picked = logprobs.gather(1, targets.unsqueeze(1)).squeeze(1)
            k = len(continuation)
            reference = float(picked[-k:].sum())
            greedy = bool((logprobs[-k:].argmax(dim=-1) == targets[-k:]).all())
            token_logprobs = answer["choices"][0]["logprobs"]["token_logprobs"]
            tops = answer["choices"][0]["logprobs"]["top_logprobs"]
            got = sum(token_logprobs[n_context:len(whole)])
            got_greedy = all(token_logprobs[t] == max(tops[t].values()) for t in range(n_context, len(whole)))
            # What the runner reads is the continuation's positions: the slim copy nulls the rest (smaller to bring back).
            logprobs_out = answer["choices"][0]["logprobs"]
            logprobs_out["token_logprobs"] = [None] * n_context + token_logprobs[n_context:]
            logprobs_out["top_logprobs"] = [None] * n_context + tops[n_context:]
            logprobs_out.pop("tokens", None)
            logprobs_out.pop("text_offset", None)
            answer["choices"][0]["text"] = ""
            diff = abs(got - reference)
            report["loglikelihoods"] += 1
            report["max_abs_diff"] = max(report["max_abs_diff"], diff)
            if got_greedy != greedy:
                report["greedy_mismatches"] += 1
            if diff > args.tolerance or got_greedy != greedy:
                report["mismatches"].append({"id": cid, "driver": got, "reference": reference, "greedy": [got_greedy, greedy]})
        else:
            ids = tokenizer(body["prompt"])["input_ids"]
            max_new = int(body.get("max_tokens") or 16)
            ids = ids[-max(1, max_length - max_new):]
            with torch.no_grad():
                out = model.generate(torch.tensor([ids], device=device), max_new_tokens=max_new, do_sample=False, num_beams=1,
                                     temperature=None, top_p=None, top_k=None, pad_token_id=tokenizer.eos_token_id)
            new = out[0, len(ids):].tolist()
            if tokenizer.eos_token_id in new:
                new = new[: new.index(tokenizer.eos_token_id)]
            text = tokenizer.decode(new, skip_special_tokens=True)
            for stop in body.get("stop") or []:
                at = text.find(stop)
                if at >= 0:
                    text = text[:at]
            report["generations"] += 1
            if text == answer["choices"][0]["text"]:
                report["identical_generations"] += 1
            else:
                report["mismatches"].append({"id": cid, "driver": answer["choices"][0]["text"][:200], "reference": text[:200]})
    report["device"] = torch.cuda.get_device_name(0) if device == "cuda" else "cpu"
    report["ok"] = report["max_abs_diff"] < args.tolerance and report["greedy_mismatches"] == 0 and report["identical_generations"] == report["generations"]
    if args.slim:
        import gzip

        with gzip.open(args.slim, "wt", encoding="utf-8") as handle:
            for line in lines:
                handle.write(json.dumps({"custom_id": line["custom_id"], "response": {"status_code": 200, "body": answers[line["custom_id"]]}, "error": None}) + "\n")
    with open(args.report, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2)
    print(json.dumps({k: v for k, v in report.items() if k != "mismatches"}))
    sys.exit(0 if report["ok"] else 1)


if __name__ == "__main__":
    main()
