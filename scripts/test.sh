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
# Upstream Agent Mail 0.2.1 beside it, the same way (agent-mail-upstream-venv, from pyenv's
# Python 3.13, pinned to upstream's lock; a minute or two). Every Agent Mail test runs against
# both. Without Python 3.13 the upstream tests are skipped with the reason, but in CI they fail.
if GT_MCP_TEST_AGENT_MAIL_UPSTREAM_PYTHON=$("$VENV/bin/python" -m tests.agent_mail_server --install-upstream); then
  export GT_MCP_TEST_AGENT_MAIL_UPSTREAM_PYTHON
elif [ -n "${CI:-}" ]; then
  echo "test.sh: upstream Agent Mail 0.2.1 could not be installed (see above)" >&2
  exit 1
fi
exec "$VENV/bin/python" -m pytest "$@"
