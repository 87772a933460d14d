"""`gt-mcp detect` and Prefix+b as a rich table: each thing found or not, how, and a fix hint."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gt_mcp_tmux.model import Detection
from gt_mcp_tmux.render.literal import clean

OK = Text("✔", style="green")
NO = Text("✘", style="bold red")


def _row(table: Table, found: bool, what: str, detail: str) -> None:
    table.add_row(OK if found else NO, Text(what, style="bold"), Text(clean(detail)))


def detection_table(found: Detection) -> RenderableType:
    gas, mail, tmux = found.gastown, found.agent_mail, found.tmux
    table = Table(show_header=False, box=None, padding=(0, 1), expand=False)
    table.add_column(width=1)
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    city_user = (
        gas.binary is None
        and gas.town_root is None
        and found.gascity is not None
        and any(city.watched for city in found.gascity.cities)
    )
    if city_user:  # a Gas City user without Gas Town: nothing to fix there
        table.add_row(Text("·", style="dim"), Text("gt", style="bold"), Text("not used", "dim"))
    else:
        _row(
            table,
            gas.binary is not None,
            "gt",
            f"{gas.binary or 'not found'}  {gas.version or ''}".strip(),
        )
        town = f"{gas.town_root}  (found by {gas.found_by})" if gas.town_root else "not found"
        _row(table, gas.town_root is not None, "town", town)
    if gas.socket:
        server = f"{gas.socket} ({gas.socket_from}): " + (
            f"running, {gas.sessions} session{'s' if gas.sessions != 1 else ''}"
            if gas.server_running
            else "not running"
        )
        _row(table, gas.server_running, "gt tmux", server)
    city = found.gascity
    if city is not None and (city.binary or city.cities):
        _row(
            table,
            city.binary is not None,
            "gc",
            f"{city.binary or 'not found'}  {city.version or ''}".strip(),
        )
        for each in city.cities:
            mark = "watched, " if each.watched else ""
            server = "running" if each.server_running else "not running"
            detail = f"{each.name} {each.root}  ({mark}found by {each.found_by}; tmux {each.socket} {server})"
            _row(table, each.server_running, "city", detail)
        if city.cities:
            state = "up" if city.supervisor_running else "down"
            _row(table, city.supervisor_running, "supervisor", f"{city.supervisor_url}: {state}")
    latency = f", {mail.latency_ms:.0f} ms" if mail.latency_ms is not None else ""
    mail_text = f"{mail.url}: " + ("up" + latency if mail.up else f"down ({mail.error})")
    if not mail.enabled:
        off = Text("switched off (option agent_mail = false): not asked", style="dim")
        table.add_row(Text("·", style="dim"), Text("agent mail", style="bold"), off)
    else:
        _row(table, mail.up, "agent mail", mail_text)
    tmux_text = f"{tmux.version or 'not found'}, popups {'yes' if tmux.popups else 'no'}"
    _row(table, tmux.version is not None, "tmux", tmux_text)
    hints = [
        *(f"fix your config: {e}" for e in found.config_errors),
        *([] if city_user else gas.hints),
        *(city.hints if city is not None else []),
        *mail.hints,
        *tmux.hints,
    ]
    if not hints:
        return table
    fixes = Text()
    for hint in hints:
        fixes.append("→ ", style="yellow")
        fixes.append(clean(hint) + "\n")
    return Group(table, Text(""), fixes)
