#!/usr/bin/env sh
# The project's test command (README, .ci/run): dev install, lint, type-check, then pytest.
# Extra arguments go to pytest, e.g. scripts/test.sh -k passthrough
set -eu
cd "$(dirname "$0")/.."
./install.sh --dev >/dev/null
VENV="${XDG_DATA_HOME:-$HOME/.local/share}/gastown-mcp/venv"
"$VENV/bin/python" -m ruff check gt_mcp_tmux tests bench tools
"$VENV/bin/python" -m ruff format --check gt_mcp_tmux tests bench tools
"$VENV/bin/python" -m mypy  # strict, on the package, the tests, the benchmarks and tools
"$VENV/bin/shellcheck" -x gastown-mcp.tmux scripts/*.sh install.sh .ci/run
# The real MCP Agent Mail server the integration tests start: installed once into
# ${XDG_CACHE_HOME:-~/.cache}/gastown-mcp-tests/agent-mail-venv (the tests' cache, not the
# install's; about a minute), found by the tests here.
GT_MCP_TEST_AGENT_MAIL_PYTHON=$("$VENV/bin/python" -m tests.agent_mail_server --install)
export GT_MCP_TEST_AGENT_MAIL_PYTHON
exec "$VENV/bin/python" -m pytest "$@"
