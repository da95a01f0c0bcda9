#!/usr/bin/env bash
# Creates .venv-engine: the Python that runs the transformers engine's driver outside Docker (its CPU test, and
# `pnpm score`-side checks). Inside the sandbox the driver uses the vLLM image's own torch and transformers; this
# venv only lets the test run the same driver on a CPU with a tiny model. Idempotent; prints the python path.
# Offline machines: wheels from QUORUM_WHEELS (default /opt/wheels) and a local index QUORUM_PIP_INDEX
# (default file:///opt/pypi/simple, with /opt/pypi-more/simple as an extra) when they exist; otherwise PyPI, with
# the CPU build of torch from download.pytorch.org.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-engine
packages=(torch "transformers>=4.56" safetensors tokenizers)
if [[ -x $venv/bin/python ]] && $venv/bin/python -c "import torch, transformers, safetensors, tokenizers" 2>/dev/null; then
  echo "$PWD/$venv/bin/python"
  exit 0
fi
python3 -m venv "$venv" >&2
pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
wheels=${QUORUM_WHEELS:-/opt/wheels}
index=${QUORUM_PIP_INDEX:-file:///opt/pypi/simple}
if [[ -d ${index#file://} || $index != file://* ]] && [[ -d ${index#file://} ]]; then
  args=(--index-url "$index")
  [[ -d /opt/pypi-more/simple ]] && args+=(--extra-index-url file:///opt/pypi-more/simple)
  [[ -d $wheels ]] && args+=(--find-links "$wheels")
  "${pip[@]}" "${args[@]}" "${packages[@]}" >&2
else
  "${pip[@]}" --index-url https://download.pytorch.org/whl/cpu torch >&2
  "${pip[@]}" "${packages[@]:1}" >&2
fi
"$venv/bin/python" -c "import torch, transformers; print('engine python: torch', torch.__version__, 'transformers', transformers.__version__)" >&2
echo "$PWD/$venv/bin/python"
