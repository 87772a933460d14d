"""Inside Gas Town's own tmux server: append our segment to each session's status-right.

Gas Town sets a per-session status-right (`#(gt status-line ...) %H:%M`) on its own server; with
`gastown_server_status = "append"` we add our token reference at its end instead of fighting it,
once per session, and leave everything else as Gas Town set it.
"""

from __future__ import annotations

from gt_mcp_tmux.collector.push import tmux_value
from gt_mcp_tmux.sources.tmux.runner import SEP, run_tmux

#: What `#{gtmcp_status}` becomes (the same text as STALE_PREFIX + ref in scripts/variables.sh).
STATUS_REFERENCE = (
    "#{?#{e|>:#{e|-|:%s,#{@_gtmcp_heartbeat}},#{@_gtmcp_stale_after}},#{@_gtmcp_stale},}"
    "#{@gtmcp_status}"
)


def append_commands(status_rights: list[tuple[str, str]]) -> list[str]:
    """tmux argv that appends our reference to every (session, status-right) lacking it."""
    argv: list[str] = []
    for session, current in status_rights:
        if "@gtmcp_status" in current:
            continue
        if argv:
            argv.append(";")
        value = f"{current} {STATUS_REFERENCE}" if current else STATUS_REFERENCE
        argv += ["set-option", "-t", f"={session}:", "status-right", tmux_value(value)]
    return argv


def append_to_sessions(server_args: list[str]) -> int:
    """One read, at most one batched write; returns how many sessions got the segment."""
    done = run_tmux(
        [*server_args, "list-sessions", "-F", f"#{{session_name}}{SEP}#{{status-right}}"]
    )
    if done is None or done.returncode != 0:
        return 0
    rows = [line.split(SEP, 1) for line in done.stdout.splitlines() if SEP in line]
    argv = append_commands([(name, value) for name, value in rows])
    if not argv:
        return 0
    wrote = run_tmux([*server_args, *argv])
    return argv.count("set-option") if wrote is not None and wrote.returncode == 0 else 0
