# shellcheck shell=sh disable=SC2034  # GTMCP_DEFAULT_PYTHON is for the files that source this one
# Where install.sh puts the virtual environment. POSIX sh: sourced by variables.sh (bash) and by
# popup.sh (sh), so both agree on the default Python.
GTMCP_DATA_DIR="${XDG_DATA_HOME:-$HOME/.local/share}/gastown-mcp"
GTMCP_DEFAULT_PYTHON="$GTMCP_DATA_DIR/venv/bin/python"
