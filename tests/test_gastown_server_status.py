"""`gastown_server_status = "append"`: our segment joins Gas Town's per-session status-right."""

from __future__ import annotations

from gt_mcp_tmux.collector.gastown_server_status import STATUS_REFERENCE, append_to_sessions
from tests.harness import PROJECT, TmuxServer


def test_reference_matches_what_the_plugin_writes() -> None:
    variables = (PROJECT / "scripts" / "variables.sh").read_text()
    stale_prefix = variables.split("STALE_PREFIX='", 1)[1].split("'", 1)[0]
    assert stale_prefix + "#{@gtmcp_status}" == STATUS_REFERENCE


def test_appends_once_per_session_and_keeps_gas_towns_text(tmux: TmuxServer) -> None:
    gas_town_right = "#(gt status-line --session=hq-mayor) %H:%M"
    tmux.run("new-session", "-d", "-s", "hq-mayor")
    tmux.run("new-session", "-d", "-s", "gt-odd name;x")
    tmux.run("set", "-t", "=hq-mayor:", "status-right", gas_town_right)
    args = ["-L", tmux.socket]
    assert append_to_sessions(args) == 3  # main, hq-mayor and the odd one
    assert append_to_sessions(args) == 0  # idempotent
    shown = tmux.out("show-options", "-t", "=hq-mayor:", "-v", "status-right")
    assert shown == f"{gas_town_right} {STATUS_REFERENCE}"
    odd = tmux.out("show-options", "-t", "=gt-odd name;x:", "-v", "status-right")
    assert odd.endswith(STATUS_REFERENCE)
