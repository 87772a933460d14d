"""Status strings: what the bar shows for each state, and that data can never act as tmux code."""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path

import pytest

from gt_mcp_tmux.collector.push import OptionPusher, set_commands
from gt_mcp_tmux.config import Settings
from gt_mcp_tmux.model import (
    Agent,
    AgentMail,
    Bridge,
    BridgeLink,
    Conflict,
    Convoy,
    FailureKind,
    GasTown,
    MailState,
    Snapshot,
    SourceError,
)
from gt_mcp_tmux.render.status_line import escape_for_tmux, render_status
from gt_mcp_tmux.sources.agent_mail.http_reader import COUNTING
from tests.harness import Screen, TmuxServer

PLAIN = Settings(icon_gastown="GT", icon_mail="M", icon_bridge="B", icon_attention="!")


def visible(tmux_string: str) -> str:
    """What a person reads: styles removed, `##` shown as `#`."""
    import re

    return re.sub(r"(?<!#)#\[[^\]]*\]", "", tmux_string).replace("##", "#")


def town(**changes: object) -> GasTown:
    agents = [
        Agent("mayor/", "mayor", "mayor", running=True, status="idle"),
        Agent("gastown/furiosa", "furiosa", "polecat", running=True, status="working"),
        Agent("gastown/nux", "nux", "polecat", running=False, status="dead"),
        Agent("gastown/slit", "slit", "polecat", running=True, status="stuck"),
    ]
    base = dict(
        town="gt",
        root="/t",
        socket="gt-abc123",
        server_running=True,
        agents=agents,
        convoys=[Convoy("hq-cv-1", "Deploy", "open", 3, 5), Convoy("hq-cv-2", "x", "closed", 4, 4)],
    )
    base.update(changes)
    return GasTown(**base)  # type: ignore[arg-type]


def snap(gastown: GasTown, mail: AgentMail | None = None, bridge: Bridge | None = None) -> Snapshot:
    return Snapshot(time.time(), "test", gastown, mail, bridge)


def test_gastown_segment_counts_attention_and_convoys() -> None:
    shown = visible(render_status(snap(town()), PLAIN).gastown)
    assert shown == "GT 3/4 !2 3/5"


def test_a_stale_watchdog_shows_its_age() -> None:
    assert "deacon" not in visible(
        render_status(snap(town(deacon_heartbeat_age=120.0)), PLAIN).gastown
    )
    shown = render_status(snap(town(deacon_heartbeat_age=6 * 60.0)), PLAIN).gastown
    assert visible(shown) == "GT 3/4 !2 3/5 deacon 6m" and "fg=yellow" in shown
    very = render_status(snap(town(deacon_heartbeat_age=25 * 60.0)), PLAIN).gastown
    assert "deacon 25m" in visible(very) and "fg=red" in very


def test_with_other_towns_up_the_bar_names_the_one_it_watches() -> None:
    shown = visible(render_status(snap(town(other_towns=["/home/me/old"])), PLAIN).gastown)
    assert shown.startswith("GT gt 3/4")
    hostile = town(town="#(touch /tmp/x)", other_towns=["/o"])
    assert "##(touch" in render_status(snap(hostile), PLAIN).gastown


def test_estop_and_rig_estop_show() -> None:
    assert "ESTOP" in visible(render_status(snap(town(estop=True)), PLAIN).gastown)
    shown = visible(render_status(snap(town(estop=True, estop_rigs=["gastown"])), PLAIN).gastown)
    assert "ESTOP:gastown" in shown
    only_rig = visible(render_status(snap(town(estop_rigs=["gastown"])), PLAIN).gastown)
    assert "ESTOP:gastown" in only_rig  # ESTOP.<rig> alone is a stop in force too


@pytest.mark.parametrize(
    ("kind", "word"),
    [
        ("missing", "!no gt"),
        ("timeout", "!gt slow"),
        ("bad_output", "!gt garbled"),
        ("error", "!gt error"),
    ],
)
def test_failures_are_marked_not_hidden(kind: FailureKind, word: str) -> None:
    shown = visible(
        render_status(snap(town(errors=[SourceError("gt_status", kind, "x")])), PLAIN).gastown
    )
    assert shown.startswith("GT 3/4") and shown.endswith(word)


@pytest.mark.parametrize(("kind", "word"), [("timeout", "!tmux slow"), ("down", "!tmux down")])
def test_gas_towns_own_server_failing_is_named(kind: FailureKind, word: str) -> None:
    shown = visible(
        render_status(snap(town(errors=[SourceError("tmux", kind, "x")])), PLAIN).gastown
    )
    assert shown.endswith(word)


def test_no_town() -> None:
    assert visible(render_status(snap(GasTown()), PLAIN).gastown) == "GT no town"


def test_mail_states() -> None:
    ok = AgentMail(
        "u",
        "ok",
        unread_total=3,
        urgent_unread=1,
        reservations_active=5,
        conflicts=[Conflict("p", "a/*", "A", "a/b", "B")],
    )
    assert visible(render_status(snap(town(), ok), PLAIN).mail) == "M 3 !1 ⚿5 ⚔1"
    counting = dataclasses.replace(
        ok, withheld={"urgent_unread": COUNTING}
    )  # some agents not counted yet
    assert visible(render_status(snap(town(), counting), PLAIN).mail) == "M 3 !1+ ⚿5 ⚔1"
    states: tuple[tuple[MailState, str], ...] = (
        ("down", "down"),
        ("auth", "auth?"),
        ("error", "error"),
    )
    for state, word in states:
        assert (
            visible(render_status(snap(town(), AgentMail("u", state)), PLAIN).mail) == f"M {word}"
        )
    assert render_status(snap(town(), AgentMail("u", "off")), PLAIN).mail == ""


def test_bridge_states() -> None:
    ok = AgentMail("u", "ok")
    linked = Bridge("linked", [BridgeLink("p", "gastown", "gastown/furiosa")])
    assert visible(render_status(snap(town(), ok, linked), PLAIN).bridge) == "B 1"
    assert visible(render_status(snap(town(), AgentMail("u", "down")), PLAIN).bridge) == "B no mail"
    assert visible(render_status(snap(GasTown(), ok), PLAIN).bridge) == "B no gt"


def test_status_combines_the_segments() -> None:
    strings = render_status(snap(town(), AgentMail("u", "down")), PLAIN)
    assert strings.status == f"{strings.gastown} {strings.mail} {strings.bridge}"


HOSTILE = "#(touch PWNED)#[fg=red,blink]#{pane_id}\x1b[31m\nnext;"


def test_escape_rules() -> None:
    out = escape_for_tmux(HOSTILE)
    assert "\x1b" not in out and "\n" not in out
    assert out == "##(touch PWNED)##[fg=red,blink]##{pane_id}[31mnext;"
    assert escape_for_tmux("x" * 100, 10) == "x" * 9 + "…"


def test_trailing_semicolon_survives_the_push(tmux: TmuxServer) -> None:
    assert set_commands({"@a": "x;", "@b": "y"}) == [
        "set-option",
        "-gq",
        "@a",
        "x\\;",
        ";",
        "set-option",
        "-gq",
        "@b",
        "y",
    ]
    pusher = OptionPusher(["-L", tmux.socket])
    assert pusher.push({"@a": "ends;", "@b": "plain"})
    assert tmux.option("@a") == "ends;" and tmux.option("@b") == "plain"


def test_pusher_sends_only_changes(tmux: TmuxServer) -> None:
    pusher = OptionPusher(["-L", tmux.socket])
    pusher.push({"@a": "1", "@b": "2"})
    pusher.push({"@a": "1", "@b": "2"})
    assert pusher.pushes == 1
    pusher.push({"@a": "1", "@b": "3"})
    assert pusher.pushes == 2 and tmux.option("@b") == "3"


def test_hostile_text_is_shown_never_run(
    tmux: TmuxServer, screen: Screen, isolated_home: Path
) -> None:
    """Through a real client's status line: `#(...)` does not run, `#[...]` does not style."""
    hostile = "#(touch ~/P)#[fg=red]x"
    values = render_status(snap(town(estop=True, estop_rigs=[hostile])), PLAIN).as_options()
    OptionPusher(["-L", tmux.socket]).push(values)
    tmux.run("set", "-g", "status-right-length", "200")
    tmux.run("set", "-g", "status-right", "#{@gtmcp_gastown}")
    tmux.run("set", "-g", "status-interval", "1")
    text = screen.wait_for(lambda t: "ESTOP" in t)
    assert "ESTOP:#(touch ~/P)#[fg=red]x" in text
    time.sleep(1.5)  # past a status-interval tick: a #() job would have run by now
    assert not (isolated_home / "P").exists()


def test_a_themes_pill_keeps_its_background_around_our_segment(
    tmux: TmuxServer, screen: Screen
) -> None:
    """A catppuccin-style module: our coloured pieces inside a pill with its own background.
    Only our foreground changes and comes back; the pill's blue never resets mid-way."""
    values = render_status(snap(town(estop=True)), Settings()).as_options()
    OptionPusher(["-L", tmux.socket]).push(values)
    tmux.run("set", "-g", "status-right-length", "200")
    tmux.run("set", "-g", "status-right", "#[fg=black,bg=blue]PILL #{@gtmcp_gastown} END#[default]")
    screen.wait_for(lambda t: "PILL" in t and "END" in t)
    painted = screen.outer.out("capture-pane", "-e", "-p", "-t", "screen")
    line = next(ln for ln in painted.splitlines() if "PILL" in ln)
    start, end = line.index("PILL"), line.index("END") + len("END")
    inside = line[start:end]
    assert "ESTOP" in inside and "\x1b[3" in inside  # our colours are there
    # every character from the pill's start to its end is drawn on the pill's blue
    drawn = {at: bg for at, bg in backgrounds(line).items() if start <= at < end}
    assert set(drawn.values()) == {"44"}, inside
    assert "#[default]" not in values["@gtmcp_gastown"]


def backgrounds(painted: str) -> dict[int, str | None]:
    """The background SGR code each printed character of `painted` is drawn with."""
    found: dict[int, str | None] = {}
    background: str | None = None
    for match in re.finditer(r"\x1b\[([0-9;]*)m|([^\x1b])", painted):
        if match.group(2) is not None:
            found[match.start()] = background
            continue
        codes = (match.group(1) or "0").split(";")
        index = 0
        while index < len(codes):
            code = codes[index]
            if code in ("0", "49"):
                background = None
            elif code in ("48",):
                background = ";".join(codes[index : index + 3])
                index += 2
            elif code in ("38",):
                index += 2
            elif len(code) == 2 and code.startswith("4"):
                background = code
            index += 1
    return found


def test_segment_formats_are_the_users() -> None:
    custom = Settings(
        icon_gastown="GT",
        icon_attention="!",
        icon_mail="M",
        format_gastown="[{estop}{agents}]{attention}",
        format_mail="{conflicts} {unread}",
        format_status="{gastown} | {mail}",
    )
    mail = AgentMail("u", "ok", unread_total=3, conflicts=[Conflict("p", "a", "A", "b", "B")])
    strings = render_status(snap(town(estop=True), mail), custom)
    assert visible(strings.gastown) == "[ESTOPGT 3/4]!2"
    assert visible(strings.mail) == "⚔1 M 3"
    assert visible(strings.status) == "[ESTOPGT 3/4]!2 | ⚔1 M 3"


def test_a_format_naming_an_unknown_piece_falls_back_to_the_default() -> None:
    broken = Settings(icon_gastown="GT", icon_attention="!", format_gastown="{agents} {nope} {")
    assert visible(render_status(snap(town()), broken).gastown) == "GT 3/4 !2 3/5"


def test_a_segment_that_must_shrink_drops_whole_pieces_never_digits() -> None:
    from gt_mcp_tmux.output import shown_width

    mail = AgentMail(
        "u",
        "ok",
        unread_total=13,
        urgent_unread=2,
        reservations_active=25,
        conflicts=[Conflict("p", "a", "x", "b", "y")],
    )
    bridge = Bridge("linked", [BridgeLink("p", "gastown"), BridgeLink("q", "gastown")] * 6)
    whole = render_status(snap(town(estop=True), mail, bridge), PLAIN).status
    assert "B 12" in visible(whole)
    for limit in (40, 30, 20, 14):
        settings = dataclasses.replace(PLAIN, segment_width=limit)
        shown = visible(render_status(snap(town(estop=True), mail, bridge), settings).status)
        assert shown_width(shown) <= limit or shown.startswith("GT 3/4"), (limit, shown)
        # what is shown is whole: every number that shows is a number the full segment has
        assert set(shown.split()) <= set(visible(whole).split()), (limit, shown)
        assert "GT 3/4" in shown and "ESTOP" in shown  # the count and ESTOP stay
