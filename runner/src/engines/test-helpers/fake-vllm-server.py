"""A test double for vLLM v0.12's OpenAI server (this machine has no GPU): /health, /tokenize, /v1/completions.

What it copies from v0.12 (vllm/entrypoints/openai/serving_completion.py, protocol.py, serving_engine.py):
- the tokenizer adds a BOS token (id 1) to every text prompt; a prompt may also be a list of token ids;
- a prompt whose length + max_tokens passes max_model_len gets HTTP 400 with the nested error body
  {"error": {"message", "type", "param", "code"}} and v0.12's message;
- echo + logprobs give every prompt token a log-probability (the first null) and top_logprobs holding both the actual
  token and the top-1 token (two entries when they differ); `prompt_logprobs` requested gives the full list;
- generation is cut at the first stop sequence (the stop string itself excluded) and at max_tokens.
Its "model": tokens are characters; every token has log-probability -0.1 and is the top-1, except "z", which has
-2.0 while "a" (-0.05) is the top-1. Greedy generation writes "The answer is 42.\\n#### 42\\n\\nQuestion: more".
A prompt containing DIE_NOW makes the server print a CUDA error and exit 1, as a crashed engine does.
Usage: fake-vllm-server.py --port N (max_model_len from QUORUM_MAX_MODEL_LEN, default 4096)
"""

import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_MODEL_LEN = int(os.environ.get("QUORUM_MAX_MODEL_LEN", "4096"))
BOS = 1
GENERATION = "The answer is 42.\n#### 42\n\nQuestion: more"


def tokenize(prompt):
    if isinstance(prompt, list):
        return list(prompt)
    return [BOS] + [ord(c) for c in prompt]


def piece(token):
    return "<s>" if token == BOS else chr(token)


def logprob_of(token):
    return -2.0 if piece(token) == "z" else -0.1


def top_of(token):
    p = piece(token)
    if p == "z":
        return {"z": -2.0, "a": -0.05}
    return {p: -0.1}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send_json(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, message):
        self.send_json(400, {"error": {"message": message, "type": "BadRequestError", "param": None, "code": 400}})

    def do_GET(self):
        if self.path == "/health":
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()
        else:
            self.send_json(404, {"detail": "Not Found"})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        if self.path == "/tokenize":
            tokens = tokenize(body["prompt"])
            return self.send_json(200, {"count": len(tokens), "max_model_len": MAX_MODEL_LEN, "tokens": tokens, "token_strs": None})
        if self.path != "/v1/completions":
            return self.send_json(404, {"detail": "Not Found"})
        prompt = body["prompt"]
        if isinstance(prompt, str) and "DIE_NOW" in prompt:
            sys.stderr.write("INFO engine step\n")
            sys.stderr.write("RuntimeError: CUDA error: an illegal memory access was encountered\n")
            sys.stderr.write("INFO shutting down\n")
            sys.stderr.flush()
            os._exit(1)
        tokens = tokenize(prompt)
        max_tokens = int(body.get("max_tokens") or 16)
        if len(tokens) + max_tokens > MAX_MODEL_LEN:
            return self.error(
                "This model's maximum context length is %d tokens. However, you requested %d tokens (%d in the messages, %d in the completion). Please reduce the length of the messages or completion."
                % (MAX_MODEL_LEN, len(tokens) + max_tokens, len(tokens), max_tokens)
            )
        text = GENERATION[:max_tokens]
        finish = "length"
        for stop in body.get("stop") or []:
            at = text.find(stop)
            if at >= 0:
                text, finish = text[:at], "stop"
        generated = [ord(c) for c in text] or [ord("x")]
        logprobs = None
        if body.get("logprobs") is not None:
            shown = (tokens if body.get("echo") else []) + generated
            lps = [logprob_of(t) for t in shown]
            tops = [top_of(t) for t in shown]
            if body.get("echo"):
                lps[0] = None
                tops[0] = None
            logprobs = {"text_offset": list(range(len(shown))), "token_logprobs": lps, "tokens": [piece(t) for t in shown], "top_logprobs": tops}
        if body.get("echo"):
            text = "".join(piece(t) for t in tokens if t != BOS) + text
        prompt_logprobs = None
        if body.get("prompt_logprobs") is not None:
            prompt_logprobs = [None] + [{str(t): {"logprob": logprob_of(t), "rank": 1, "decoded_token": piece(t)}} for t in tokens[1:]]
        self.send_json(200, {
            "id": "cmpl-test", "object": "text_completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "text": text, "logprobs": logprobs, "finish_reason": finish, "stop_reason": None, "prompt_logprobs": prompt_logprobs}],
            "usage": {"prompt_tokens": len(tokens), "total_tokens": len(tokens) + len(generated), "completion_tokens": len(generated), "prompt_tokens_details": None},
        })


class Server(ThreadingHTTPServer):
    # uvicorn's backlog is 2048; the standard library's default of 5 resets connections under the driver's 32.
    request_queue_size = 256
    daemon_threads = True


if __name__ == "__main__":
    port = int(sys.argv[sys.argv.index("--port") + 1])
    Server(("127.0.0.1", port), Handler).serve_forever()
