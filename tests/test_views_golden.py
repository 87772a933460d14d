"""Golden tests: each view, built from fixed Snapshots, printed at 80 and 60 columns without colour.

Regenerate after an intended change with `GTMCP_UPDATE_GOLDEN=1 pytest tests/test_views_golden.py`
and read the diff: these files are what a person sees.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console, RenderableType

from gt_mcp_tmux.collector.alerts import state_conditions, urgency
from gt_mcp_tmux.model import (
    AgentMailFound,
    Alert,
    Bridge,
    BridgeLink,
    CollectorStatus,
    Detection,
    GastownFound,
    HostHealth,
    ServerSessions,
    SessionLoad,
    Snapshot,
    SourceHealth,
    TmuxFound,
    TmuxSession,
)
from gt_mcp_tmux.render.alerts_view import AlertsSource, alerts_view
from gt_mcp_tmux.render.bridge_view import bridge_view
from gt_mcp_tmux.render.dashboard_view import DashboardInput, live_frame, once_frame
from gt_mcp_tmux.render.mail_view import mail_view
from gt_mcp_tmux.render.quick_view import quick_status
from tests.viewkit import (
    HOSTILE,
    NOW,
    busy_town,
    city_only,
    hostile_town,
    quiet_town,
    town_and_city,
)

GOLDEN = Path(__file__).parent / "golden"
TOWNS: dict[str, Callable[[], Snapshot]] = {
    "busy": busy_town,
    "hostile": hostile_town,
    "quiet": quiet_town,
    "city": city_only,
    "towncity": town_and_city,
}
HOST = HostHealth(
    load=(0.52, 0.40, 0.33),
    cpus=4,
    cpu_percent=12.0,
    mem_total=16 * 2**30,
    mem_used=6 * 2**30,
    mem_percent=37.5,
    swap_percent=0.0,
    agent_processes=14,
    agent_cpu_percent=35.2,
    agent_rss_bytes=1200 * 2**20,
    sessions=[
        SessionLoad("gt-furiosa", 5, 30.1, 800 * 2**20),
        SessionLoad("hq-mayor", 3, 5.1, 400 * 2**20),
    ],
)
USER = ServerSessions(
    "/tmp/tmux-1000/default",
    True,
    [
        TmuxSession("main", 3, 1, NOW - 9000, NOW - 2),
        TmuxSession("work", 1, 0, NOW - 9000, NOW - 600),
    ],
)
DETECTION = Detection(
    GastownFound("/usr/local/bin/gt", "gt version 1.0.1", "/home/me/gt", "cwd", "gt-c78608",
                 "town path", True, 6),
    AgentMailFound("http://127.0.0.1:8765", True, 1.2, None),
    TmuxFound("tmux 3.3a", True, True),
)  # fmt: skip
COLLECTOR = CollectorStatus(
    running=True,
    pid=4242,
    socket="/tmp/tmux-1000/default",
    version="0.1.0",
    started=NOW - 3600,
    last_refresh=NOW - 4,
    sources=[
        SourceHealth("gt_status", NOW - 20, NOW - 20, None, 30.0),
        SourceHealth("convoys", NOW - 50, NOW - 10, "gt convoy list: timeout after 20s", 60.0),
    ],
)


@pytest.fixture(autouse=True)
def utf8_terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Goldens are for a UTF-8 terminal in UTC (`as of 08:00:00`), whatever TERM and zone the
    test runner has."""
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def plain(renderable: RenderableType, width: int, height: int | None = None) -> str:
    console = Console(
        width=width,
        height=height or 25,
        color_system=None,
        force_terminal=False,
        highlight=False,
        emoji=False,
        record=True,
    )
    console.print(renderable)
    return console.export_text()


#: `gt-mcp alerts` outside tmux, the default server's collector running.
ALERTS_FROM = AlertsSource("/tmp/tmux-1000/default", False, True, 4242)


def alerts_of(snapshot: Snapshot) -> list[Alert]:
    """The town's alerts as the collector raises them, and a crash from the events log."""
    found = list(state_conditions(snapshot).values())
    if snapshot.gastown.agents:
        agent = snapshot.gastown.agents[-1]
        found.append(
            Alert(
                "session_death:3f2a9c41d0be5e77",
                "session_death",
                f"session {agent.session or agent.name} died: crash detected by daemon health check",
                NOW - 90,
                agent.session or agent.name,
            )
        )
    return sorted(found, key=urgency)


def views(snapshot: Snapshot, width: int) -> dict[str, RenderableType]:
    board = DashboardInput(snapshot, NOW, HOST, USER, stale_after=30.0)
    return {
        "alerts": alerts_view(alerts_of(snapshot), NOW, ALERTS_FROM),
        "quick": quick_status(snapshot, NOW),
        "dashboard": once_frame(board, width),
        "mail": mail_view(snapshot.agent_mail, NOW, snapshot.bridge),
        "bridge": bridge_view(DETECTION, snapshot, COLLECTOR, NOW),
    }


CASES = [
    (town, view, width)
    for town in TOWNS
    for view in ("quick", "dashboard", "mail", "bridge", "alerts")
    for width in (80, 60)
]


@pytest.mark.parametrize(("town", "view", "width"), CASES)
def test_view_matches_golden(town: str, view: str, width: int) -> None:
    text = plain(views(TOWNS[town](), width)[view], width)
    path = GOLDEN / f"{view}-{town}-{width}.txt"
    if os.environ.get("GTMCP_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")
    assert all(cell_len(line) <= width for line in text.splitlines()), "a line is too wide"


@pytest.mark.parametrize("height", [12, 20, 30])
def test_live_dashboard_fills_exactly_the_screen(height: int) -> None:
    board = DashboardInput(busy_town(), NOW, HOST, USER, keys=True)
    text = plain(live_frame(board, 100, height), 100, height)
    lines = text.splitlines()
    assert len(lines) == height
    assert "Agents 10" in lines[1] and "q quit" in lines[-1]


def test_a_view_painted_once_gives_the_collection_time_not_a_frozen_age() -> None:
    """Prefix+g paints once and waits for a key: `updated 4s ago` would still say 4s a minute
    later. Painted once it says when the data was collected; rebuilt every second, its age."""
    snapshot = busy_town()
    once = plain(quick_status(snapshot, NOW), 80).splitlines()[0]
    clock = time.strftime("%H:%M:%S", time.gmtime(snapshot.collected_at))
    assert once.endswith(f"as of {clock}") and "ago" not in once
    later = plain(quick_status(snapshot, NOW + 60), 80).splitlines()[0]
    assert later == once  # nothing in it is about the moment it was painted
    ticking = plain(quick_status(snapshot, NOW, live=True), 80).splitlines()[0]
    assert ticking.endswith("updated 4s ago")
    assert (
        plain(quick_status(snapshot, NOW + 60, live=True), 80)
        .splitlines()[0]
        .endswith("updated 1m ago")
    )


def test_quick_status_fits_a_short_popup_and_says_how_many_are_hidden() -> None:
    text = plain(quick_status(busy_town(), NOW, height=14), 60)
    assert len(text.splitlines()) <= 14
    assert "▲ 😺 gastown/nux" in text  # the most urgent stays visible
    assert "more" in text


def test_hostile_text_is_printed_literally_even_with_colour() -> None:
    console = Console(width=200, color_system="truecolor", force_terminal=True, record=True)
    console.print(quick_status(hostile_town(), NOW))
    console.print(mail_view(hostile_town().agent_mail, NOW))
    out = console.export_text(styles=True, clear=False)
    text = console.export_text()
    assert "[bold red]x[/]" in text and "#[fg=red]red[/]" in text  # markup shown, not applied
    assert "#(touch /tmp/gtmcp-pwned)" in text
    assert "[31mesc" in text and "\x1b" in HOSTILE
    assert "\x1b[31mesc" not in out  # the escape from the data never reaches the terminal


ESCAPES = "\x1b]52;c;SGVsbG8=\x07\x1b[2J\x1b[H\x9b31m"  # an OSC 52 clipboard write, a screen clear


def test_text_from_outside_never_writes_an_escape_to_the_terminal() -> None:
    """gt's output, a collector's last error, detection hints: printed as text, never run by the
    terminal (no clipboard write, no screen clear)."""
    import io

    from rich.console import Console

    from gt_mcp_tmux.model import (
        AgentMailFound,
        CollectorStatus,
        Detection,
        GastownFound,
        SourceHealth,
        TmuxFound,
    )
    from gt_mcp_tmux.render.collector_view import collector_table
    from gt_mcp_tmux.render.detect_view import detection_table

    status = CollectorStatus(
        True,
        42,
        "/tmp/s",
        last_error=f"gt said {ESCAPES}",
        sources=[SourceHealth(f"src{ESCAPES}", last_error=f"boom {ESCAPES}")],
    )
    found = Detection(
        GastownFound(
            "/usr/bin/gt",
            f"gt version {ESCAPES}",
            "/t",
            "cwd",
            "t-abc123",
            "town path",
            True,
            1,
            hints=[f"hint {ESCAPES}"],
        ),
        AgentMailFound("http://127.0.0.1:1", False, None, f"refused {ESCAPES}"),
        TmuxFound("tmux 3.3a", True, False),
    )
    for renderable in (collector_table(status), detection_table(found)):
        out = io.StringIO()
        Console(file=out, width=100, color_system=None, force_terminal=True).print(renderable)
        assert "\x1b" not in out.getvalue() and "\x9b" not in out.getvalue()
        assert "SGVsbG8" in out.getvalue()  # the text itself is shown, only its escapes go


def hostile_city() -> Snapshot:
    """A city whose names, aliases and errors try tmux formats, rich markup and escapes."""
    from dataclasses import replace

    from gt_mcp_tmux.model import Agent, Convoy, Event, GasCity, SourceError
    from tests.viewkit import iso

    city = GasCity(
        city=HOSTILE,
        root="/home/me/#(city)",
        socket="c",
        server_running=True,
        api_url=f"http://127.0.0.1:1/{ESCAPES}",
        agents=[
            Agent(
                f"rig/{HOSTILE}{ESCAPES}",
                HOSTILE,
                "polecat",
                rig="rig",
                session=f"s{ESCAPES}",
                running=False,
                state="crash-loop",
                status="dead",
            )
        ],
        convoys=[Convoy("gc-1", f"{HOSTILE}{ESCAPES}", "open", 1, 2)],
        events=[Event(iso(3), "session.woke", "gc", f"session.woke {HOSTILE}{ESCAPES}")],
        errors=[SourceError("city_api", "error", f"supervisor said {ESCAPES}")],
        other_cities=["/x"],
    )
    return replace(hostile_town(), gascity=city)


def test_a_hostile_city_reaches_the_terminal_and_the_bar_as_text() -> None:
    import io

    from gt_mcp_tmux.config import Settings
    from gt_mcp_tmux.render.status_line import render_status

    snapshot = hostile_city()
    for renderable in (quick_status(snapshot, NOW), quick_status(snapshot, NOW, height=20)):
        out = io.StringIO()
        Console(file=out, width=140, color_system="truecolor", force_terminal=True).print(
            renderable
        )
        shown = out.getvalue()
        assert "SGVsbG8" in shown and "[bold red]x[/]" in shown  # the text is there, as text
        assert "\x1b]52" not in shown and "\x1b[2J" not in shown and "\x9b" not in shown
        assert "\x1b[31mesc" not in shown
    bar = render_status(snapshot, Settings()).as_options()
    for value in (bar["@gtmcp_gascity"], bar["@gtmcp_status"]):
        assert "\x1b" not in value and "\x07" not in value
        assert "#(touch" not in value.replace("##(touch", "")  # every # from data is doubled


@pytest.mark.parametrize(
    ("snapshot", "said", "unsaid"),
    [
        (city_only, ["Gas City rigs", "outside the city", "inside the city"], ["Gas Town", "town"]),
        (busy_town, ["⇄ Gas Town rigs", "outside the town", "<town>/<rig>/polecats"], ["city"]),
        (quiet_town, ["Gas Town or Gas City rigs", "inside the town or city"], []),  # none found
        (town_and_city, ["Gas Town and Gas City rigs", "outside the town and the city"], []),
    ],
)
def test_the_bridge_speaks_of_the_orchestrators_in_sight(
    snapshot: Callable[[], Snapshot], said: list[str], unsaid: list[str]
) -> None:
    """A Gas City user is not told about Gas Town's rigs (nor a town user about a city)."""
    from dataclasses import replace

    bridge = Bridge("unlinked", [BridgeLink("/home/me/elsewhere")])
    text = plain(bridge_view(None, replace(snapshot(), bridge=bridge), None, NOW), 200)
    links = text[text.index("Links") : text.index("Collector")]
    assert all(words in links for words in said), links
    assert not any(words in links for words in unsaid), links


def test_the_collector_table_leaves_out_sources_that_never_ran() -> None:
    """A city-only user's collector: the town's sources never ran; they are no rows (with a
    last ok of "-"), only named once as not used."""
    from dataclasses import replace

    from gt_mcp_tmux.render.collector_view import collector_table

    city_user = replace(
        COLLECTOR,
        sources=[
            SourceHealth("gt_status", interval=120.0),
            SourceHealth("convoys", interval=60.0),
            SourceHealth("city_api", NOW - 2, NOW - 2, None, 3.0),
            SourceHealth("city_convoys", None, NOW - 30, "gc convoy list: exit 1", 60.0),
        ],
    )
    text = plain(collector_table(city_user, NOW), 80)
    rows = [line.split()[0] for line in text.splitlines()[2:] if line.strip()]
    assert rows[:2] == ["city_api", "city_convoys"], text
    assert "not used (never ran): gt_status, convoys" in " ".join(text.split()), text
    assert "gt_status" not in rows and "convoys" not in rows
    ran_only = plain(collector_table(COLLECTOR, NOW), 80)
    assert "not used" not in ran_only and "gt_status" in ran_only


def test_the_collector_table_says_when_a_big_fleet_slows_its_cycles() -> None:
    from dataclasses import replace

    from gt_mcp_tmux.render.collector_view import collector_table

    assert "cycles every" not in plain(collector_table(replace(COLLECTOR, cycle_every=1), NOW), 80)
    slowed = " ".join(plain(collector_table(replace(COLLECTOR, cycle_every=8), NOW), 80).split())
    assert "cycles every 8 s, to stay within collector_cpu" in slowed
