#!/usr/bin/env bash
# Set up a virtual environment and run the main demo: every strategy on one dense scalar net,
# then naive's exponential blow-up next to its exact prediction.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/_venv.sh
make_venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e .
.venv/bin/minigrad compare --width 3 --depth 6
echo
.venv/bin/minigrad blowup --max-depth 9 --width 3
