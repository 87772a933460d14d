"""Gas City's answers, as the real gc 0.15.1 and its supervisor gave them (../shared/reference/
real-gc/), read into records; finding a city by gc's own rules; events and crash loops."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from gt_mcp_tmux.config import Settings
from gt_mcp_tmux.model import Agent, GasCity, SourceError
from gt_mcp_tmux.render.status_line import render_status
from gt_mcp_tmux.sources.gascity import records
from gt_mcp_tmux.sources.gascity.agents import merge_city_agents
from gt_mcp_tmux.sources.gascity.city import find_city, supervisor_url
from gt_mcp_tmux.sources.gascity.events import city_event_tail, parse_city_event_line
from gt_mcp_tmux.sources.gascity.reader import crash_loops
from gt_mcp_tmux.sources.gastown.tmux_server import GtSession
from gt_mcp_tmux.sources.gastown.town import find_town

REAL_GC = Path(__file__).resolve().parent.parent.parent / "shared" / "reference" / "real-gc"


def captured(name: str) -> Any:
    """The JSON body of one captured answer (HTTP ones carry their headers first)."""
    path = REAL_GC / f"{name}.out"
    if not path.exists():
        pytest.fail(f"REAL GAS CITY CAPTURE MISSING: {path}", pytrace=False)
    text = path.read_text(encoding="utf-8")
    if text.startswith("HTTP/"):
        text = text.split("\r\n\r\n", 1)[-1] if "\r\n\r\n" in text else text.split("\n\n", 1)[-1]
    return json.loads(text)


def test_api_sessions_become_city_sessions_with_alias_rig_and_state() -> None:
    sessions = records.parse_sessions(captured("A05-_v0_city_gcbuild-city_sessions"), "city_api")
    assert not isinstance(sessions, SourceError)
    by_name = {s.session_name: s for s in sessions}
    witness = by_name["gcbuild-rig--witness"]
    assert (witness.address, witness.role, witness.rig) == (
        "gcbuild-rig/witness",
        "witness",
        "gcbuild-rig",
    )
    polecat = by_name["polecat-gc-23"]
    assert (polecat.address, polecat.role, polecat.running) == (
        "gcbuild-rig/polecat-2",
        "polecat",
        True,
    )


def test_gc_session_list_json_gives_the_same_records() -> None:
    sessions = records.parse_sessions(captured("51-session-list-json"), "city_sessions")
    assert not isinstance(sessions, SourceError)
    polecat = next(s for s in sessions if s.session_name == "polecat-gc-11")
    assert (polecat.address, polecat.rig, polecat.state) == (
        "gcbuild-rig/polecat-2",
        "gcbuild-rig",
        "active",
    )
    assert polecat.running is None  # gc's list does not say; the tmux server does


@pytest.mark.parametrize("garbage", [None, 7, "text", {"items": "no"}, [1, 2], {"x": 1}])
def test_garbled_answers_are_one_line_errors_or_nothing(garbage: Any) -> None:
    result = records.parse_sessions(garbage, "city_api")
    assert result == [] or (isinstance(result, SourceError) and "\n" not in result.message)


def test_mail_count_ready_and_convoys_from_the_real_answers() -> None:
    assert (
        records.parse_mail_count(captured("A10-_v0_city_gcbuild-city_mail_count_agent_human"), "m")
        == 1
    )
    text = (REAL_GC / "75-mail-count-human.out").read_text()
    assert records.parse_gc_mail_count(text, "m") == 1
    ready = records.parse_ready(captured("A12-_v0_city_gcbuild-city_beads_ready"), "r")
    assert not isinstance(ready, SourceError)
    assert "gc-4" in {b.id for b in ready} and all(b.issue_type != "convoy" for b in ready)
    convoys = records.parse_convoys(captured("A14-_v0_city_gcbuild-city_convoys"), "c")
    assert not isinstance(convoys, SourceError)
    assert {c.id for c in convoys} == {"gc-8", "gc-14", "gc-3"}
    table = (REAL_GC / "63-convoy-list.out").read_text()
    assert records.parse_convoy_progress(table)["gc-14"] == (1, 2)


def test_every_line_of_a_real_event_log_parses_and_repeats_are_one_event(tmp_path: Path) -> None:
    raw = (REAL_GC / "C3-events-final.jsonl").read_bytes()
    lines = [line for line in raw.split(b"\n") if line.strip()]
    events = [parse_city_event_line(line) for line in lines]
    assert all(not isinstance(e, str) and e is not None for e in events)
    woke = next(
        e for e in events if e is not None and not isinstance(e, str) and e.type == "session.woke"
    )
    assert woke.payload["subject"] and woke.summary.startswith("session.woke ")
    # the same line written twice (gc's writers) is one event, not two
    root = tmp_path / "city"
    (root / ".gc").mkdir(parents=True)
    log = root / ".gc" / "events.jsonl"
    log.write_bytes(b"")
    tail = city_event_tail(root)
    tail.poll()
    line = b'{"seq":7,"type":"session.crashed","ts":"2099-01-01T00:00:00Z","actor":"gc","subject":"mayor"}\n'
    with log.open("ab") as fh:
        fh.write(line + line + b"not json\n")
    tail.poll()
    new = tail.take_new()
    assert [e.type for e in new] == ["session.crashed"]
    assert tail.skipped == 1


def _woke(subject: str, ago: float) -> Any:
    ts = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - ago))
    line = json.dumps({"seq": 1, "type": "session.woke", "ts": ts, "subject": subject})
    return parse_city_event_line(line.encode())


def test_wakes_without_a_stop_between_are_a_crash_loop() -> None:
    stopped = parse_city_event_line(
        json.dumps(
            {"seq": 2, "type": "session.stopped", "ts": "2026-01-01T00:00:00Z", "subject": "deacon"}
        ).encode()
    )
    events = [_woke("crasher", 90), _woke("crasher", 60), _woke("crasher", 30)]
    events += [_woke("deacon", 90), stopped, _woke("deacon", 10)]
    loops = crash_loops(
        [e for e in events if e is not None and not isinstance(e, str)], time.time()
    )
    assert loops == {"crasher": 3, "deacon": 1}


def test_city_agents_merge_sessions_and_tmux_and_name_a_crash_loop() -> None:
    sessions = records.parse_sessions(captured("A05-_v0_city_gcbuild-city_sessions"), "city_api")
    assert not isinstance(sessions, SourceError)
    now = time.time()
    live = [
        GtSession(
            id="$1",
            name=s.session_name,
            activity=now - 600,
            created=now - (10 if s.session_name == "mayor-gc-24" else 900),
            agent_alive=True,
        )
        for s in sessions
        if s.session_name != "polecat-gc-22"
    ]
    dead_pane = GtSession(id="$9", name="polecat-gc-22", agent_alive=False, all_dead=True)
    agents = merge_city_agents(sessions, [*live, dead_pane], True, {"mayor-1": 3}, now)
    by_session = {a.session: a for a in agents}
    assert by_session["gcbuild-rig--witness"].status == "idle"
    assert by_session["polecat-gc-22"].status == "dead"  # active, but its pane is dead
    looping = by_session["mayor-gc-24"]
    assert (looping.status, looping.state) == ("dead", "crash-loop")
    # the same wakes, but its session has stayed up for minutes since: it recovered
    recovered = merge_city_agents(sessions, live, True, {"gcbuild-rig/witness": 3}, now)
    assert next(a for a in recovered if a.session == "gcbuild-rig--witness").status == "idle"


def test_find_city_innermost_city_toml_then_variables_then_registry(tmp_path: Path) -> None:
    home = tmp_path / "home"
    outer = home / "outer"
    inner = outer / "inner"
    (inner / "deep").mkdir(parents=True)
    (outer / "city.toml").write_text('[workspace]\nname = "outer-city"\n')
    (inner / "city.toml").write_text(
        '[workspace]\nname = "inner-city"\n[session]\nsocket = "sock"\n'
    )
    env = {"HOME": str(home)}
    found = find_city(inner / "deep", env)
    assert found is not None
    assert (found.root, found.name, found.socket, found.found_by) == (
        inner,
        "inner-city",
        "sock",
        "cwd",
    )
    # above $HOME is never searched; GC_CITY then names one
    (tmp_path / "city.toml").write_text('[workspace]\nname = "above"\n')
    assert find_city(home, env) is None
    assert find_city(home, {**env, "GC_CITY": str(outer)}).found_by == "GC_CITY"  # type: ignore[union-attr]
    gc_home = tmp_path / "gchome"
    gc_home.mkdir()
    (gc_home / "cities.toml").write_text(f'[[cities]]\n  path = "{outer}"\n  name = "outer-city"\n')
    (gc_home / "supervisor.toml").write_text("[supervisor]\nport = 19999\n")
    registry = {**env, "GC_HOME": str(gc_home)}
    via_registry = find_city(home, registry)
    assert via_registry is not None and via_registry.found_by == "registry"
    assert find_city(home, registry, configured="outer-city").root == outer  # type: ignore[union-attr]
    assert supervisor_url(registry) == "http://127.0.0.1:19999"


def test_a_city_sessions_gt_root_is_not_a_town(tmp_path: Path) -> None:
    city = tmp_path / "city"
    city.mkdir()
    (city / "city.toml").write_text('[workspace]\nname = "c"\n')
    env = {"HOME": str(tmp_path / "nohome"), "GT_ROOT": str(city), "GC_CITY": str(city)}
    assert find_town(tmp_path, env, ask_tmux=False) is None
    assert find_city(tmp_path, env) is not None


def test_bar_shows_the_city_and_hides_no_town_for_a_city_user() -> None:
    settings = Settings(icon_gascity="GC", icon_gastown="GT", icon_attention="!")
    agents = [
        Agent("mayor", "mayor", "mayor", running=True, status="idle"),
        Agent("r/polecat-1", "polecat-1", "polecat", rig="r", running=False, status="dead"),
    ]
    city = GasCity(city="c", root="/c", socket="c", server_running=True, agents=agents)
    from gt_mcp_tmux.model import Snapshot

    shown = render_status(Snapshot(collected_at=0, version="x", gascity=city), settings)
    plain = shown.gascity.replace("#[fg=default]", "")
    assert "GC 1/2" in plain and "!1" in plain
    assert "no town" not in shown.status and "GC 1/2" in shown.status
    assert shown.as_options()["@gtmcp_gascity"] == shown.gascity


def test_review_findings_on_city_agents() -> None:
    """What a person trying a real city found: one restart is no crash loop (the alias is the
    session's name: counted once), a dead pane gc left after replacing a pool session is no
    agent, a city stopped with `gc stop` has stopped agents, Go's zero time is no time."""
    from gt_mcp_tmux.sources.gascity.records import CitySession

    now = time.time()
    mayor = CitySession("gc-1", "mayor", "active", "mayor", alias="mayor")
    alive = GtSession(id="$1", name="mayor", created=now - 10, activity=now, agent_alive=True)
    once = merge_city_agents([mayor], [alive], True, {"mayor": 2}, now)
    assert once[0].status == "working" and once[0].state is None
    ghost = GtSession(
        id="$2",
        name="polecat-gc-18",
        agent_alive=False,
        all_dead=True,
        env={"GC_TEMPLATE": "r/polecat", "GC_ALIAS": "r/polecat-1"},
    )
    listed = merge_city_agents([mayor], [alive, ghost], True, {}, now)
    assert [a.session for a in listed] == ["mayor"]
    dead_pane = GtSession(id="$1", name="mayor", agent_alive=False, all_dead=True)
    assert merge_city_agents([mayor], [dead_pane], True, {}, now)[0].status == "dead"
    stopped = merge_city_agents([mayor], [dead_pane], True, {}, now, controller_running=False)
    assert stopped[0].status == "stopped"
    zero = records.parse_sessions(
        [{"ID": "gc-2", "Template": "deacon", "State": "asleep", "SessionName": "deacon",
          "LastActive": "0001-01-01T00:00:00Z"}],
        "city_sessions",
    )  # fmt: skip
    assert not isinstance(zero, SourceError) and zero[0].last_active is None


def test_the_bar_says_a_stopped_city_and_its_mail_for_human() -> None:
    settings = Settings(icon_gascity="GC", icon_mail="M")
    stopped = GasCity(
        city="c",
        root="/c",
        server_running=True,
        controller_running=False,
        supervisor_running=True,
        human_unread=2,
        errors=[SourceError("city_api", "not_found", "/v0/city/c/sessions: not served")],
    )
    from gt_mcp_tmux.model import Snapshot

    shown = render_status(Snapshot(0, "x", gascity=stopped), settings).gascity
    plain = re.sub(r"#\[[^\]]*\]", "", shown)
    assert "!stopped" in plain and "no town" not in plain and "M2" in plain


def test_a_city_user_is_not_told_to_install_gas_town() -> None:
    import io

    from rich.console import Console

    from gt_mcp_tmux.model import (
        AgentMailFound,
        CityFound,
        Detection,
        GascityFound,
        GastownFound,
        TmuxFound,
    )
    from gt_mcp_tmux.render.detect_view import detection_table

    found = Detection(
        GastownFound(None, None, None, None, None, None, False, 0, hints=["install Gas Town"]),
        AgentMailFound("http://127.0.0.1:1", True, 1.0, None),
        TmuxFound("tmux 3.3a", True, False),
        gascity=GascityFound(
            "/usr/bin/gc", "0.15.1", "http://127.0.0.1:8372", True,
            [CityFound("c", "/c", "cwd", "c", True, watched=True)],
        ),
    )  # fmt: skip
    out = io.StringIO()
    Console(file=out, width=100, color_system=None).print(detection_table(found))
    text = out.getvalue()
    assert "not used" in text and "install Gas Town" not in text and "town " not in text
    assert "c /c  (watched, found by cwd" in text


def test_a_city_server_is_found_by_tmux_but_never_the_demos(tmp_path: Path) -> None:
    """A live tmux server whose environment names a city is found (no registry needed); one
    marked as `gt-mcp demo`'s is not: the demo's city is never taken for the user's."""
    import subprocess
    import uuid

    from gt_mcp_tmux.sources.gascity.city import DEMO_MARK, cities_from_tmux_servers

    servers = []
    for name, marked in (("users", False), ("demos", True)):
        root = tmp_path / name
        root.mkdir()
        (root / "city.toml").write_text(f'[workspace]\nname = "{name}"\n')
        socket = f"gtmcp-test-city-{uuid.uuid4().hex[:8]}"
        servers.append(socket)
        mark = ["-e", DEMO_MARK] if marked else []
        subprocess.run(
            ["tmux", "-L", socket, "-f", "/dev/null", "new-session", "-d", "-s", "mayor",
             "-e", f"GC_CITY={root}", *mark],
            check=True, timeout=10,
        )  # fmt: skip
    try:
        found = cities_from_tmux_servers()
        assert tmp_path / "users" in found and tmp_path / "demos" not in found
    finally:
        for socket in servers:
            subprocess.run(["tmux", "-L", socket, "kill-server"], check=False, timeout=10)
