#!/usr/bin/env bash
# Install LLaMA-Factory 0.9.5 (CPU) into its own virtualenv and prepare the test models.
#
#   scripts/llamafactory/setup.sh [--force]
#
# Result (default LF_HOME = <repo>/.cache/llamafactory, override with LLMFORGE_LF_HOME):
#   $LF_HOME/venv/bin/llamafactory-cli            -> LLMFORGE_LLAMAFACTORY_CLI
#   $LF_HOME/models/SmolLM2-135M-Instruct          real instruct model (HF format)
#   $LF_HOME/models/tiny-random-llama              tiny random llama for fast training tests
#
# Idempotent: the venv carries a stamp with a hash of the install recipe (this script's
# recipe revision, requirements.txt, the interpreter); when it matches, nothing is
# reinstalled. The models carry their own markers (see prepare_model.py).
# Env: LLMFORGE_LF_HOME, LLMFORGE_LF_PYTHON (default python3.11), LLMFORGE_LF_FORCE=1.
set -euo pipefail

start_ns=$(date +%s%N)
elapsed() { awk -v ns="$(( $(date +%s%N) - start_ns ))" 'BEGIN { printf "%.1f", ns / 1e9 }'; }
log() { echo "[llamafactory-setup] $*"; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
lf_home="${LLMFORGE_LF_HOME:-$root/.cache/llamafactory}"
venv="$lf_home/venv"
stamp="$venv/.llmforge-recipe"
python_bin="${LLMFORGE_LF_PYTHON:-python3.11}"
force="${LLMFORGE_LF_FORCE:-0}"
[[ "${1:-}" == "--force" ]] && force=1

# Bump RECIPE_REV whenever the install steps below change meaning.
RECIPE_REV=1
TORCH_VERSION=2.13.0
LF_VERSION=0.9.5

# Everything that makes a model hub reachable is off: nothing may be fetched at run time.
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1

if ! command -v "$python_bin" >/dev/null 2>&1; then
  echo "error: $python_bin not found (set LLMFORGE_LF_PYTHON to a Python 3.10-3.12 interpreter)" >&2
  exit 1
fi

mkdir -p "$lf_home"
# One setup at a time per LF_HOME (parallel make/pytest runs).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$lf_home/.setup.lock"
  flock 9
fi

recipe_hash="$(
  {
    echo "rev=$RECIPE_REV torch=$TORCH_VERSION llamafactory=$LF_VERSION torchaudio-fix=rm-so"
    "$python_bin" -c 'import sys, platform; print(sys.version, platform.machine())'
    cat "$here/requirements.txt"
  } | sha256sum | cut -d' ' -f1
)"

venv_state=cached
if [[ "$force" != 1 && -f "$stamp" && "$(cat "$stamp")" == "$recipe_hash" && -x "$venv/bin/llamafactory-cli" ]]; then
  log "venv up to date ($venv)"
else
  venv_state=installed
  log "installing LLaMA-Factory $LF_VERSION into $venv (recipe ${recipe_hash:0:12})"
  rm -rf "$venv"
  "$python_bin" -m venv "$venv"
  pip=("$venv/bin/python" -m pip --no-input)

  # 1. torch first: the CPU wheel (a plain torch requirement would pull CUDA packages).
  t0=$(date +%s)
  "${pip[@]}" install "torch==$TORCH_VERSION"
  if ! "$venv/bin/python" -c 'import sys, torch; sys.exit(0 if torch.version.cuda is None else 1)'; then
    log "warning: the installed torch is a CUDA build; a CPU wheel of torch==$TORCH_VERSION was expected"
  fi
  log "torch installed in $(( $(date +%s) - t0 ))s"

  # 2. LLaMA-Factory's requirements, exactly pinned; torch is held at the version above.
  t0=$(date +%s)
  constraints="$(mktemp)"
  trap 'rm -f "$constraints"' EXIT
  "$venv/bin/python" -c 'import torch; print("torch==" + torch.__version__)' >"$constraints"
  "${pip[@]}" install -r "$here/requirements.txt" -c "$constraints"
  log "requirements installed in $(( $(date +%s) - t0 ))s"

  # 3. LLaMA-Factory itself, without letting it pull torchvision/gradio/CUDA torch.
  "${pip[@]}" install --no-deps "llamafactory==$LF_VERSION"

  # 4. torchaudio fix: the PyPI wheel's .so files need CUDA libraries and cannot load on
  #    CPU torch; LLaMA-Factory always imports torchaudio, which works without them.
  site_packages="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
  if "$venv/bin/python" -c 'import torch; raise SystemExit(0 if torch.version.cuda is None else 1)'; then
    rm -f "$site_packages"/torchaudio/lib/*.so
  fi

  # 5. Smoke test: the pieces `llamafactory-cli train` and `llamafactory-cli api` import.
  "$venv/bin/python" -c '
import torchaudio, llamafactory
from llamafactory.train.tuner import run_exp
from llamafactory.api.app import create_app
print("llamafactory", llamafactory.__version__, "imports OK")
'
  # Consistency check; torchvision, av and gradio are left out on purpose (web UI only).
  problems="$("$venv/bin/python" -m pip check 2>&1 | grep -v -E '^llamafactory [^ ]+ requires (torchvision|av|gradio), which is not installed\.$' | grep -v '^No broken requirements found\.$' || true)"
  if [[ -n "$problems" ]]; then
    echo "error: pip check found broken requirements:" >&2
    echo "$problems" >&2
    exit 1
  fi
  echo "$recipe_hash" >"$stamp"
  log "venv ready"
fi

# Models (skipped quickly when present and valid).
"$venv/bin/python" "$here/prepare_model.py" --home "$lf_home"

log "done in $(elapsed)s (venv $venv_state)"
log "LLMFORGE_LLAMAFACTORY_CLI=$venv/bin/llamafactory-cli"
