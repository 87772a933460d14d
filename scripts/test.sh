#!/usr/bin/env sh
# The project's test command (README, .ci/run): dev install, lint, type-check, then pytest.
# Extra arguments go to pytest, e.g. scripts/test.sh -k passthrough
set -eu
cd "$(dirname "$0")/.."
./install.sh --dev >/dev/null
VENV="${XDG_DATA_HOME:-$HOME/.local/share}/gastown-mcp/venv"
"$VENV/bin/python" -m ruff check gt_mcp_tmux tests bench
"$VENV/bin/python" -m mypy
exec "$VENV/bin/python" -m pytest "$@"
