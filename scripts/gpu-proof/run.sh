#!/usr/bin/env bash
# The transformers engine's GPU proof, the GPU half: needs Python with torch, transformers and tokenizers (no Docker,
# no vLLM, no Node, no network). Run from a folder holding this script's folder and the engine's driver:
#   bash scripts/gpu-proof/run.sh <requests dir> <out dir>
# <requests dir> holds requests.jsonl + manifest.json from `pnpm gpu-proof requests` (made on the development
# machine with the benchmark module). It builds a small random Llama + tokenizer (float32), runs
# runner/src/engines/transformers-driver.py on the requests as the engine would, checks every log-likelihood and
# generation against plain torch (scripts/gpu-proof/check.py), runs it again as a warm engine answering two jobs
# (scripts/gpu-proof/warm.py, warm.json), and writes to <out dir>: report.json, stats.json,
# output.slim.jsonl.gz, manifest.json, log.txt. Bring <out dir> back and run `pnpm gpu-proof score <out dir>`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
driver=${QUORUM_DRIVER:-$here/../../runner/src/engines/transformers-driver.py}
requests=$1
out=$2
work=$(mktemp -d)
mkdir -p "$out"
export PYTHONUNBUFFERED=1
{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
  python3 -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__, 'cuda', torch.cuda.is_available())"
  python3 "$here/make_tiny_llama.py" "$requests/requests.jsonl" "$work/model" --size "${QUORUM_PROOF_SIZE:-small}"
  started=$(date +%s.%N)
  QUORUM_TASK_DIR=$requests QUORUM_OUTPUT_DIR=$work QUORUM_MODEL_PATH=$work/model QUORUM_DTYPE=float32 \
    QUORUM_BATCH_SIZE=${QUORUM_BATCH_SIZE:-16} python3 "$driver" >"$work/driver.stdout"
  ended=$(date +%s.%N)
  grep '"quorum_stats"' "$work/driver.stdout" | python3 -c "import json,sys; s=json.loads(sys.stdin.read())['quorum_stats']; s['driver_wall_seconds']=$ended-$started; print(json.dumps(s))" >"$out/stats.json"
  cat "$out/stats.json"
  python3 "$here/check.py" "$work/model" "$requests/requests.jsonl" "$work/output.jsonl" "$out/report.json" --slim "$out/output.slim.jsonl.gz"
  # The warm engine: the same driver as a session answers two jobs with the model loaded once; each must equal the
  # one-shot output (scripts/gpu-proof/warm.py).
  QUORUM_BATCH_SIZE=${QUORUM_BATCH_SIZE:-16} python3 "$here/warm.py" "$driver" "$work/model" "$requests" "$work/output.jsonl" "$out/warm.json"
} 2>&1 | tee "$out/log.txt"
cp "$requests/manifest.json" "$out/"
