"""Snapshot -> tmux status strings. The one place that escapes text for tmux.

The strings land in user options (`@gtmcp_status`, ...) that the status line references as
`#{@gtmcp_status}`: tmux shows them without running `#(...)` or expanding `#{...}`, but it does
apply `#[...]` styles, so every `#` that comes from data is doubled here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from gt_mcp_tmux.config import Settings, default_value
from gt_mcp_tmux.model import (
    ATTENTION_STATUSES,
    WATCHDOG_STALE,
    WATCHDOG_VERY_STALE,
    Agent,
    AgentMail,
    Bridge,
    Convoy,
    GasCity,
    GasTown,
    Queue,
    Snapshot,
)
from gt_mcp_tmux.output import shown_width

#: User options the collector pushes; the .tmux file rewrites `#{gtmcp_x}` to reference them.
SEGMENT_OPTIONS = (
    "@gtmcp_status",
    "@gtmcp_gastown",
    "@gtmcp_gascity",
    "@gtmcp_mail",
    "@gtmcp_bridge",
)


def escape_for_message(text: str, limit: int = 120) -> str:
    """Untrusted text for `display-message`, which also runs strftime: `%` doubled too."""
    return escape_for_tmux(text, limit).replace("%", "%%")


def escape_for_tmux(text: str, limit: int = 60) -> str:
    """Make untrusted text inert in a tmux status string.

    Control characters (newlines, escapes, C1) are dropped, every `#` is doubled (so `#(..)`,
    `#[..]` and `#{..}` show as typed), and the text is capped at `limit` characters with `…`.
    A trailing `;` is handled where the whole option value is sent (tmux_push.set_commands).
    """
    clean = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C" or ch == " ")
    if len(clean) > limit:
        clean = clean[: max(limit - 1, 0)] + "…"
    return clean.replace("#", "##")


def styled(colour: str, text: str, bold: bool = False) -> str:
    """Already-escaped text in the user's colour, for pieces made elsewhere (`_style`)."""
    return _style(colour, text, bold)


def _style(colour: str, text: str, bold: bool = False) -> str:
    """Our own styling around already-escaped text; colours come from the user's options.

    Only the foreground (and bold) is set, and only it is put back after (`#[fg=default]`,
    `#[nobold]`): never `#[default]`, which would also reset the background of whatever the
    segment sits in (a catppuccin pill, an oh-my-tmux block) in the middle of the user's bar.
    """
    colour_name = escape_for_tmux(colour, 30).replace(",", "").replace("]", "")
    if not colour_name:
        return text
    attrs = f"fg={colour_name}" + (",bold" if bold else "")
    restore = "fg=default" + (",nobold" if bold else "")
    return f"#[{attrs}]{text}#[{restore}]"


@dataclass(frozen=True, slots=True)
class StatusStrings:
    status: str
    gastown: str
    mail: str
    bridge: str
    gascity: str = ""

    def as_options(self) -> dict[str, str]:
        values = (self.status, self.gastown, self.gascity, self.mail, self.bridge)
        return dict(zip(SEGMENT_OPTIONS, values, strict=True))


_FAILURE_WORDS = {
    "missing": "no gt",
    "not_found": "no town",
    "timeout": "gt slow",
    "bad_output": "gt garbled",
    "error": "gt error",
    "down": "down",
}


def _fleet_pieces(
    agents: list[Agent], convoys: list[Convoy], icon: str, name: str, settings: Settings
) -> dict[str, str]:
    """The pieces a town and a city share: `agents` (running/total), `attention`, `convoys`."""
    pieces = dict.fromkeys(("agents", "attention", "convoys"), "")
    total = len(agents)
    running = sum(1 for agent in agents if agent.running)
    head_colour = settings.color_ok if total and running else settings.color_dim
    pieces["agents"] = _style(head_colour, f"{icon} {name}{running}/{total}")
    attention = sum(1 for agent in agents if agent.status in ATTENTION_STATUSES)
    if attention:
        marker = escape_for_tmux(settings.icon_attention, 8)
        pieces["attention"] = _style(settings.color_warn, f"{marker}{attention}", bold=True)
    open_convoys = [c for c in convoys if c.status != "closed"]
    whole = sum(c.total for c in open_convoys)
    if open_convoys and whole:
        done = sum(c.completed for c in open_convoys)
        pieces["convoys"] = _style(settings.color_dim, f"{done}/{whole}")
    return pieces


def gastown_segment(
    town: GasTown,
    settings: Settings,
    without: frozenset[str] = frozenset(),
    city_watched: bool = False,
) -> str:
    """`⛽ 5/7 ⚠2 3/5 deacon 6m ESTOP`: running/total agents, attention, convoy progress, a stale
    watchdog (the deacon's heartbeat age), ESTOP, failures. Empty when there is no town but a
    city is watched (a Gas City user has no town to be told about)."""
    icon = escape_for_tmux(settings.icon_gastown, 8)
    if town.root is None:
        return "" if city_watched else _style(settings.color_dim, f"{icon} no town")
    # with several towns up, say which one this is (detect says how to choose another)
    name = f"{escape_for_tmux(town.town or '', 16)} " if town.other_towns else ""
    pieces = _fleet_pieces(town.agents, town.convoys, icon, name, settings)
    pieces.update(dict.fromkeys(("watchdog", "estop", "failure"), ""))
    age = town.deacon_heartbeat_age
    if age is not None and age >= WATCHDOG_STALE:
        colour = settings.color_alert if age >= WATCHDOG_VERY_STALE else settings.color_warn
        pieces["watchdog"] = _style(colour, f"deacon {int(age // 60)}m", bold=True)
    if town.estop or town.estop_rigs:
        # the town's stop, or only some rigs' (`ESTOP.<rig>`): both are in force
        rigs = "" if not town.estop_rigs else ":" + ",".join(town.estop_rigs)
        pieces["estop"] = _style(
            settings.color_alert, escape_for_tmux("ESTOP" + rigs, 30), bold=True
        )
    failure = _worst_failure(town)
    if failure:
        pieces["failure"] = _style(settings.color_alert, failure)
    for name in without:
        pieces[name] = ""
    return fill(settings.format_gastown, pieces, "format_gastown")


_CITY_FAILURE_WORDS = {
    "missing": "no gc",
    "not_found": "no city",
    "timeout": "gc slow",
    "bad_output": "gc garbled",
    "error": "gc error",
    "down": "down",
}
_CITY_FAILURE_RANK = {"city_tmux": 0, "city_sessions": 1, "city_api": 2, "city_convoys": 9}


def gascity_segment(
    city: GasCity, settings: Settings, without: frozenset[str] = frozenset()
) -> str:
    """`▦ 4/5 ⚠1 0/3 ✉1 !supervisor`: running/total agents, attention, convoys, unread mail for
    `human` (gc's own mail, not Agent Mail's), what is down (the city's tmux server, its
    controller, the supervisor). Empty when no city is watched."""
    if city.root is None:
        return ""
    icon = escape_for_tmux(settings.icon_gascity, 8)
    name = f"{escape_for_tmux(city.city or '', 16)} " if city.other_cities else ""
    pieces = _fleet_pieces(city.agents, city.convoys, icon, name, settings)
    pieces["failure"] = pieces["mail"] = ""
    if city.human_unread:
        unread = f"{escape_for_tmux(settings.icon_mail, 8)}{city.human_unread}"
        pieces["mail"] = _style(settings.color_warn, unread)
    failing = [e for e in city.errors if e.kind in _CITY_FAILURE_WORDS]
    if city.controller_running is False:  # `gc stop`: its routes answer "not found" then
        pieces["failure"] = _style(settings.color_alert, "!stopped")
    elif failing:
        error = min(failing, key=lambda e: _CITY_FAILURE_RANK.get(e.source, 5))
        word = _CITY_FAILURE_WORDS[error.kind]
        if error.source == "city_convoys":
            word = word.replace("gc ", "convoys ")
        pieces["failure"] = _style(settings.color_alert, f"!{word}")
    elif not city.supervisor_running and city.via is not None:
        pieces["failure"] = _style(settings.color_warn, "!supervisor")
    for piece in without:
        pieces[piece] = ""
    return fill(settings.format_gascity, pieces, "format_gascity")


#: Which failure the bar names when several sources fail: the town's own server and status
#: first, convoys (which fail whenever beads is unwell) last.
_SOURCE_RANK = {"town": 0, "tmux": 1, "gt_status_fast": 2, "gt_status": 2, "convoys": 9}


def _worst_failure(town: GasTown) -> str | None:
    """A short word for the most telling failing source (the bar marks it instead of hiding
    the segment); a failing convoy list says so (`!convoys error`), as it is not the town's."""
    failing = [e for e in town.errors if e.kind in _FAILURE_WORDS]
    if not failing:
        return None
    error = min(failing, key=lambda e: _SOURCE_RANK.get(e.source, 5))
    word = _FAILURE_WORDS[error.kind]
    if error.source == "convoys":
        word = word.replace("gt ", "convoys ")
    elif error.source == "tmux" and error.kind in ("timeout", "down"):
        word = "tmux slow" if error.kind == "timeout" else "tmux down"  # Gas Town's server
    return f"!{word}"


def mail_segment(mail: AgentMail | None, settings: Settings) -> str:
    """`✉ 3 🔒5 ⚔1`: unread, active reservations, conflicts; or the state word when not ok."""
    icon = escape_for_tmux(settings.icon_mail, 8)
    if mail is None or mail.state == "off":
        return ""
    if mail.state != "ok":
        words = {"down": "down", "auth": "auth?", "error": "error"}
        return _style(settings.color_alert, f"{icon} {words.get(mail.state, mail.state)}")
    unread_colour = settings.color_warn if mail.unread_total else settings.color_ok
    pieces = dict.fromkeys(("urgent", "reservations", "conflicts"), "")
    pieces["unread"] = _style(unread_colour, f"{icon} {mail.unread_total}")
    if mail.urgent_unread:  # some agents' count not known (yet): "at least", never more
        more = "+" if "urgent_unread" in mail.withheld else ""
        pieces["urgent"] = _style(settings.color_alert, f"!{mail.urgent_unread}{more}", bold=True)
    if mail.reservations_active:
        pieces["reservations"] = _style(settings.color_dim, f"⚿{mail.reservations_active}")
    if mail.conflicts:
        pieces["conflicts"] = _style(settings.color_alert, f"⚔{len(mail.conflicts)}", bold=True)
    return fill(settings.format_mail, pieces, "format_mail")


def bridge_segment(
    bridge: Bridge | None,
    town: GasTown,
    mail: AgentMail | None,
    settings: Settings,
    city: GasCity | None = None,
) -> str:
    """`⇄ 2`: both sides up and linked (links count), else which side is missing."""
    icon = escape_for_tmux(settings.icon_bridge, 8)
    if mail is None or mail.state == "off":
        return ""
    gas_up = (town.root is not None and town.server_running) or (
        city is not None and city.root is not None and city.server_running
    )
    mail_up = mail.state == "ok"
    if gas_up and mail_up:
        links = len(bridge.links) if bridge else 0
        return _style(settings.color_ok if links else settings.color_dim, f"{icon} {links}")
    missing = "gt" if not gas_up and mail_up else "mail" if gas_up else "both"
    return _style(settings.color_dim, f"{icon} no {missing}")


def alerts_segment(queue: Queue, settings: Settings) -> str:
    """`⚑3`: the queue's items (what needs you; snoozed and acknowledged ones left out), in the
    alert colour; nothing while the queue is empty."""
    if not queue.items:
        return ""
    count = len(queue.items)
    return _style(
        settings.color_alert, f"{escape_for_tmux(settings.icon_alert, 8)}{count}", bold=True
    )


#: What the combined segment gives up first when `segment_width` is too small: whole pieces,
#: least telling first (the running count and ESTOP stay to the end).
DROP_ORDER = (
    "bridge",
    "mail",
    "gascity:convoys",
    "gascity:mail",
    "gastown:convoys",
    "gastown:watchdog",
    "alerts",
    "gascity:failure",
    "gastown:failure",
    "gascity:attention",
    "gastown:attention",
)


def render_status(snapshot: Snapshot, settings: Settings) -> StatusStrings:
    town, city = snapshot.gastown, snapshot.gascity
    city_watched = city.root is not None
    gastown = gastown_segment(town, settings, city_watched=city_watched)
    gascity = gascity_segment(city, settings)
    mail = mail_segment(snapshot.agent_mail, settings)
    bridge = bridge_segment(snapshot.bridge, town, snapshot.agent_mail, settings, city)
    alerts = alerts_segment(snapshot.queue, settings)
    pieces = {
        "alerts": alerts,
        "gastown": gastown,
        "gascity": gascity,
        "mail": mail,
        "bridge": bridge,
    }
    combined = fill(settings.format_status, pieces, "format_status")
    limit = settings.segment_width
    dropped: set[str] = set()
    for piece in DROP_ORDER:
        if not limit or shown_width(combined) <= limit:
            break
        dropped.add(piece)
        parts = dict(pieces)
        for name in ("alerts", "mail", "bridge"):
            if name in dropped:
                parts[name] = ""
        inner = frozenset(p.split(":", 1)[1] for p in dropped if p.startswith("gastown:"))
        if inner:
            parts["gastown"] = gastown_segment(town, settings, inner, city_watched)
        inner_city = frozenset(p.split(":", 1)[1] for p in dropped if p.startswith("gascity:"))
        if inner_city:
            parts["gascity"] = gascity_segment(city, settings, inner_city)
        combined = fill(settings.format_status, parts, "format_status")
    return StatusStrings(combined, gastown, mail, bridge, gascity)


def fill(template: str, pieces: dict[str, str], option: str) -> str:
    """The user's segment format with our (already escaped and styled) pieces put in; runs of
    spaces left by empty pieces are folded. A format naming an unknown piece gets the default."""
    try:
        text = template.format_map(pieces)
    except (KeyError, ValueError, IndexError, AttributeError):
        default = str(default_value(option))
        text = default.format_map(pieces)
    return re.sub(r" {2,}", " ", text).strip()


def stale_marker(settings: Settings) -> str:
    return _style(settings.color_alert, escape_for_tmux(settings.icon_stale, 8)) + " "
