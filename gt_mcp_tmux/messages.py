"""Every hint a user reads about what to do next, in one place (views, detect, errors).

Plain strings and functions only: the passthrough path imports this module.
"""

INSTALL_GT = "install Gas Town (https://github.com/steveyegge/gastown) or set GT_MCP_GT"
NO_TOWN = "no Gas Town found: cd into it, or set GT_TOWN_ROOT (or @gtmcp-town-root)"
START_TOWN = "start the town with `gt up`"
START_AGENT_MAIL = "start it: python -m mcp_agent_mail.cli serve-http  (Rust port: am serve-http)"
INSTALL_GC = "install Gas City (https://github.com/gastownhall/gascity) or set GT_MCP_GC"
NO_CITY = "no Gas City found: cd into it, or set GC_CITY (or @gtmcp-city-root)"
START_CITY = "start the city with `gc start` (its supervisor: `gc supervisor run`)"
POINT_AT_AGENT_MAIL = (
    "or point gt-mcp at it: AGENT_MAIL_URL, or `set -g @gtmcp-agent-mail-url <url>`"
)


def gt_missing(name: str) -> str:
    """Why `gt` (or what GT_MCP_GT names) cannot be run, and what to do."""
    import os

    if os.sep not in name:
        return f"`{name}` not found on PATH: {INSTALL_GT}"
    if os.path.isfile(name):
        return f"`{name}` (GT_MCP_GT) is not executable: chmod +x it, or fix GT_MCP_GT"
    return f"`{name}` (GT_MCP_GT) not found: point GT_MCP_GT at Gas Town's gt, or unset it"


def town_server_down(socket: str) -> str:
    return f"Gas Town's tmux server ({socket}) is not running: {START_TOWN}"


def city_server_down(socket: str) -> str:
    return f"Gas City's tmux server ({socket}) is not running: {START_CITY}"
