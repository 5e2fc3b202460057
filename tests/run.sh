#!/usr/bin/env bash
# Install everything the test suite needs, then run it. `.ci/run` calls exactly this.
#  - ganlogs with its test extra (pytest, hypothesis, pyarrow, dask) and the reference
#    trainer's extra (torch, scikit-learn, tensorboard), torch pinned to 2.13.0: a CPU build
#    (an unpinned torch would pull a multi-GB CUDA build)
#  - Debian's chromium for the HTML report test (skipped with a message if it cannot install)
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --disable-pip-version-check -e ".[test,trainer]" "torch==2.13.0"
if ! command -v chromium >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
        || echo "tests/run.sh: could not install chromium; the HTML render test will be skipped"
fi
python -m pytest "$@"
