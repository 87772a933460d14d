"""gastown-mcp: Gas Town and MCP Agent Mail in your tmux.

Kept tiny on purpose: `gt-mcp <gt command>` imports this package on its way to exec `gt`.
"""

__version__ = "0.1.0"
