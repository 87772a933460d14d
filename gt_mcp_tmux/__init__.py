"""gastown-mcp: Gas Town and MCP Agent Mail in your tmux.

Kept tiny on purpose: `gt-mcp <gt command>` imports this package on its way to exec `gt`.
"""

import os as _os

__version__ = "0.1.0"

#: The package's folder and the plugin's (the checkout holding gastown-mcp.tmux and scripts/).
#: os.path only: this module is imported on the passthrough path.
PACKAGE_DIR = _os.path.dirname(_os.path.abspath(__file__))
PLUGIN_DIR = _os.path.dirname(PACKAGE_DIR)
