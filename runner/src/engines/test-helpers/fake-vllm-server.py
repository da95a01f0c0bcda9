"""A test double for vLLM's OpenAI server (this machine has no GPU): /health and /v1/completions only.

Tokens are characters. Greedy generation answers "#### 42"; with echo+logprobs every prompt token gets -0.1 (the
first gets null, as in vLLM) and the one generated token -1.0, with top-1 alternatives equal to the chosen token.
A prompt containing FAIL_ME gets an HTTP 400 in vLLM's error format. Usage: fake-vllm-server.py --port N
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


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

    def do_GET(self):
        if self.path == "/health":
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()
        else:
            self.send_json(404, {"detail": "Not Found"})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        if self.path != "/v1/completions":
            return self.send_json(404, {"detail": "Not Found"})
        prompt = body["prompt"]
        if "FAIL_ME" in prompt:
            return self.send_json(400, {"object": "error", "message": "This model's maximum context length is 8 tokens.", "type": "BadRequestError", "param": None, "code": 400})
        n = len(prompt)
        if body.get("echo"):
            logprobs = {
                "text_offset": list(range(n + 1)),
                "token_logprobs": [None] + [-0.1] * (n - 1) + [-1.0],
                "tokens": list(prompt) + ["x"],
                "top_logprobs": [None] + [{c: -0.1} for c in prompt[1:]] + [{"x": -1.0}],
            }
            text = prompt + "x"
        else:
            logprobs = None
            text = "The answer is 42.\n#### 42"
        self.send_json(200, {
            "id": "cmpl-test", "object": "text_completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "text": text, "logprobs": logprobs, "finish_reason": "length", "stop_reason": None, "prompt_logprobs": None}],
            "usage": {"prompt_tokens": n, "total_tokens": n + 1, "completion_tokens": 1, "prompt_tokens_details": None},
        })


if __name__ == "__main__":
    port = int(sys.argv[sys.argv.index("--port") + 1])
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
