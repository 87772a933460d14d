"""`gt-mcp demo`: a simulated Gas Town (and Agent Mail, when one is at hand) to try gastown-mcp on.

Nothing here is imported by the other commands: the demo's modules load only for `gt-mcp demo`,
the tests and the README pictures.
"""
