"""GasTownReader against the stand-in gt, stand-in towns and REAL tmux servers on the town's socket."""

from __future__ import annotations

import fcntl
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gt_mcp_tmux.config import Settings
from gt_mcp_tmux.model import GasTown, from_json, to_json
from gt_mcp_tmux.sources.gastown.reader import GasTownReader
from gt_mcp_tmux.sources.gastown.town import TownLocation
from tests.townkit import (
    GasTownServer,
    StandinTown,
    agent,
    example_status,
    make_big_town,
    make_town,
    standin_gt_processes,
    status_sessions,
    zombie_children,
)
from tests.waiting import retry_until

pytestmark = pytest.mark.integration

EXAMPLE_SESSIONS = {
    "hq-mayor": {"GT_ROLE": "mayor", "GT_AGENT": "claude"},
    "hq-deacon": {"GT_ROLE": "deacon"},
    "gt-witness": {"GT_ROLE": "gastown/witness", "GT_RIG": "gastown"},
    "gt-refinery": {"GT_ROLE": "gastown/refinery", "GT_RIG": "gastown"},
    "gt-furiosa": {"GT_ROLE": "gastown/polecats/furiosa", "GT_RIG": "gastown"},
    "gt-crew-max": {"GT_ROLE": "gastown/crew/max", "GT_RIG": "gastown"},
}  # no gt-nux: gt says it is stuck and its session is gone


@pytest.fixture
def servers() -> Iterator[list[GasTownServer]]:
    """Gas Town tmux servers a test starts; all killed at the end."""
    started: list[GasTownServer] = []
    yield started
    for server in started:
        server.kill()


@pytest.fixture
def gt_server(town: StandinTown, servers: list[GasTownServer]) -> GasTownServer:
    server = GasTownServer(town.socket)
    servers.append(server)
    return server


def reader_for(town: StandinTown | None, **settings: Any) -> GasTownReader:
    options: dict[str, Any] = {"gt_timeout": 10.0}
    options.update(settings)
    location = TownLocation(town.root, "test") if town else None
    return GasTownReader(Settings(**options), location)


def full_refresh(reader: GasTownReader) -> GasTown:
    reader.refresh_cheap(time.time())
    reader.refresh_status(fast=False)
    reader.refresh_convoys()
    return reader.gastown(time.time())


def by_address(gastown: GasTown) -> dict[str, Any]:
    return {a.address: a for a in gastown.agents}


def gt_calls(tmp_path: Path) -> list[list[str]]:
    log = tmp_path / "gt-argv.jsonl"
    if not log.exists():
        return []
    return [json.loads(line)["argv"] for line in log.read_text().splitlines()]


# --- no town, empty town, the reference example ---------------------------------------------------


def test_no_town_is_one_error_and_never_a_crash() -> None:
    reader = reader_for(None)
    reader.refresh_cheap(time.time())
    reader.refresh_status(fast=True)
    reader.refresh_convoys()
    gastown = reader.gastown(time.time())
    (error,) = gastown.errors
    assert error.kind == "not_found" and "GT_TOWN_ROOT" in error.message
    assert gastown.agents == [] and reader.take_new_events() == []
    assert {h.name for h in reader.health()} >= {"gt_status", "convoys", "tmux", "events"}


def test_empty_town(tmp_path: Path, standin_bin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    town = make_town(tmp_path / "empty", rigs={})
    monkeypatch.setenv("STANDIN_GT_DATA", str(town.data))
    status = example_status(town)
    status.update(agents=[], rigs=[])
    town.set_status(status)
    town.answer("convoy_list", [])
    town.answer("rig_list", "No rigs configured.\n")
    gastown = full_refresh(reader_for(town))
    assert (gastown.agents, gastown.rigs, gastown.convoys, gastown.sessions) == ([], [], [], [])
    assert gastown.server_running is False
    assert [(e.source, e.kind) for e in gastown.errors] == [("tmux", "down")]
    assert town.socket in gastown.errors[0].message


def test_reference_example(town: StandinTown, gt_server: GasTownServer) -> None:
    gt_server.start(EXAMPLE_SESSIONS)
    gastown = full_refresh(reader_for(town))
    agents = by_address(gastown)
    assert {a: agents[a].status for a in agents} == {
        "mayor/": "idle",
        "deacon/": "working",  # hooked patrol, live session
        "gastown/witness": "idle",
        "gastown/refinery": "idle",
        "gastown/crew/max": "idle",
        "gastown/furiosa": "working",
        "gastown/nux": "stuck",
    }
    assert [a.address for a in gastown.agents][:2] == ["mayor/", "deacon/"]
    mayor, nux = agents["mayor/"], agents["gastown/nux"]
    assert (mayor.role, mayor.unread_mail, mayor.agent_info, mayor.session) == (
        "mayor",
        1,
        "claude/opus",
        "hq-mayor",
    )
    assert (nux.running, nux.hook_bead, nux.state, nux.rig) == (
        False,
        "gt-def34",
        "stuck",
        "gastown",
    )
    assert agents["gastown/furiosa"].work_title == "Fix flaky test"
    assert agents["gastown/furiosa"].pane_command == "sleep"
    assert agents["gastown/furiosa"].last_activity is not None
    (rig,) = gastown.rigs
    assert (rig.name, rig.prefix, rig.repo, rig.polecat_count, rig.has_refinery) == (
        "gastown",
        "gt",
        "https://example.com/gastown.git",
        2,
        True,
    )
    assert rig.path == str(town.root / "gastown") and rig.mq is not None and rig.mq.pending == 2
    assert [(c.id, c.completed, c.total) for c in gastown.convoys] == [("hq-cv-a1b2c", 3, 5)]
    assert gastown.overseer_unread == 2 and gastown.server_running
    assert gastown.town == "gt" and gastown.socket == town.socket
    assert gastown.gt_version == "gt version 1.0.1 (dev: main@0f3c2a1)"
    assert {s.name: s.role for s in gastown.sessions}["gt-furiosa"] == "gastown/polecats/furiosa"
    assert gastown.errors == []
    assert from_json(GasTown, json.loads(json.dumps(to_json(gastown)))) == gastown


def test_agents_with_a_session_appear_before_gt_answers(
    town: StandinTown, gt_server: GasTownServer, tmp_path: Path
) -> None:
    gt_server.start({"hq-mayor": {}, "gt-toast": {}, "gt-crew-max": {}, "not-gas-town": {}})
    reader = reader_for(town)
    reader.refresh_cheap(time.time())
    gastown = reader.gastown(time.time())
    assert {a.address: (a.role, a.status) for a in gastown.agents} == {
        "mayor/": ("mayor", "idle"),
        "gastown/toast": ("polecat", "idle"),
        "gastown/crew/max": ("crew", "idle"),
    }
    assert len(gastown.sessions) == 4
    assert gt_calls(tmp_path) == []  # refresh_cheap never runs gt


# --- liveness from the tmux server ---------------------------------------------------------------


def test_session_death_shows_on_the_next_cheap_refresh(
    town: StandinTown, gt_server: GasTownServer
) -> None:
    gt_server.start(EXAMPLE_SESSIONS)
    reader = reader_for(town)
    assert by_address(full_refresh(reader))["gastown/furiosa"].status == "working"
    gt_server.kill_session("gt-furiosa")
    reader.refresh_cheap(time.time())
    furiosa = by_address(reader.gastown(time.time()))["gastown/furiosa"]
    assert (furiosa.running, furiosa.status, furiosa.hook_bead) == (False, "dead", "gt-abc12")
    gt_server.kill()
    reader.refresh_cheap(time.time())
    gastown = reader.gastown(time.time())
    assert not gastown.server_running and gastown.sessions == []
    assert len(gastown.agents) == 7 and not any(a.running for a in gastown.agents)
    assert {a.address: a.status for a in gastown.agents}["gastown/witness"] == "stopped"
    assert ("tmux", "down") in [(e.source, e.kind) for e in gastown.errors]
    gt_server.start({"hq-mayor": {}})  # the town comes back
    reader.refresh_cheap(time.time())
    gastown = reader.gastown(time.time())
    assert gastown.server_running and by_address(gastown)["mayor/"].running
    assert not [e for e in gastown.errors if e.source == "tmux"]


def test_agent_back_at_a_shell_prompt_is_not_running(
    town: StandinTown, gt_server: GasTownServer
) -> None:
    gt_server.start({"gt-furiosa": {"GT_PROCESS_NAMES": "claude,node"}}, command="sh")
    gt_server.start({"gt-crew-max": {"GT_PROCESS_NAMES": "sleep"}})

    def started() -> bool:  # a loaded machine shows the shell for a moment before it execs
        shown = gt_server.run("list-panes", "-a", "-F", "#{pane_current_command}").stdout
        return "sleep" in shown.split()

    assert retry_until(started, 10), "the crew's pane never ran sleep"
    reader = reader_for(town)
    reader.refresh_cheap(time.time())
    reader.refresh_status(fast=False)
    agents = by_address(reader.gastown(time.time()))
    assert (agents["gastown/furiosa"].pane_command, agents["gastown/furiosa"].status) == (
        "sh",
        "dead",
    )
    assert agents["gastown/crew/max"].running


def test_session_environment_is_asked_once_per_session(
    town: StandinTown, gt_server: GasTownServer
) -> None:
    gt_server.start(EXAMPLE_SESSIONS)
    reader = reader_for(town)
    reader.refresh_cheap(time.time())
    assert reader.tmux_calls == 2  # list-panes + one batched env call for six new sessions
    reader.refresh_cheap(time.time())
    assert reader.tmux_calls == 3
    gt_server.start({"gt-nux": {"GT_ROLE": "gastown/polecats/nux"}})
    reader.refresh_cheap(time.time())
    assert reader.tmux_calls == 5
    assert {s.name: s.role for s in reader.gastown(time.time()).sessions}["gt-nux"] == (
        "gastown/polecats/nux"
    )


def test_huge_town_is_cheap_to_refresh(
    tmp_path: Path,
    standin_bin: Path,
    monkeypatch: pytest.MonkeyPatch,
    servers: list[GasTownServer],
) -> None:
    town = make_big_town(tmp_path / "big")
    monkeypatch.setenv("STANDIN_GT_DATA", str(town.data))
    status = json.loads((town.data / "status.json").read_text())
    server = GasTownServer(town.socket)
    servers.append(server)
    names = status_sessions(status)
    server.start(names)
    for name in names[::2]:
        town.heartbeat(name, "working")
    reader = reader_for(town)
    reader.refresh_status(fast=True)
    reader.refresh_cheap(time.time())
    calls_before, gt_before = reader.tmux_calls, len(gt_calls(tmp_path))
    for _ in range(5):
        reader.refresh_cheap(time.time())
        gastown = reader.gastown(time.time())
    assert reader.tmux_calls - calls_before == 5  # one tmux call per refresh
    assert len(gt_calls(tmp_path)) == gt_before  # and no gt
    assert len(gastown.agents) == 202 and all(a.running for a in gastown.agents)
    assert len(gastown.rigs) == 10 and len(gastown.sessions) == 202
    counts = {s: sum(a.status == s for a in gastown.agents) for s in ("working", "idle")}
    assert counts["working"] >= 60  # every third polecat is hooked


# --- gt misbehaving -------------------------------------------------------------------------------


def test_hung_gt_times_out_and_leaves_no_process(
    town: StandinTown, gt_server: GasTownServer
) -> None:
    gt_server.start(EXAMPLE_SESSIONS)
    reader = reader_for(town, gt_timeout=1.0)
    full_refresh(reader)
    town.hang("status", 30)
    reader.refresh_status(fast=False)
    gastown = reader.gastown(time.time())
    (error,) = gastown.errors
    assert (error.source, error.kind) == ("gt_status", "timeout")
    assert by_address(gastown)["gastown/furiosa"].hook_bead == "gt-abc12"  # last answer kept
    assert standin_gt_processes(town) == []
    assert zombie_children() == []
    health = {h.name: h for h in reader.health()}["gt_status"]
    assert health.last_error is not None and health.last_error.startswith("timeout")
    assert health.last_ok is not None and health.last_run is not None


@pytest.mark.parametrize(
    ("payload", "exit_code", "kind"),
    [
        ("<html>502 Bad Gateway</html>\n", None, "bad_output"),
        ('{"name": "gt", "rigs": [', None, "bad_output"),
        ("[]", None, "bad_output"),
        ("Error: not in a Gas Town workspace\n", 1, "error"),
    ],
)
def test_gt_answers_that_are_not_status_keep_the_last_good_one(
    town: StandinTown, gt_server: GasTownServer, payload: str, exit_code: int | None, kind: str
) -> None:
    gt_server.start(EXAMPLE_SESSIONS)
    reader = reader_for(town)
    full_refresh(reader)
    town.answer("status", payload, exit_code=exit_code)
    reader.refresh_status(fast=False)
    gastown = reader.gastown(time.time())
    assert [(e.source, e.kind) for e in gastown.errors] == [("gt_status", kind)]
    assert len(gastown.agents) == 7 and by_address(gastown)["gastown/nux"].status == "stuck"
    town.set_status(example_status(town))
    reader.refresh_status(fast=True)  # the fast kind working again clears the full one's error
    assert reader.gastown(time.time()).errors == []
    assert {h.name: h for h in reader.health()}["gt_status"].last_error is not None


def test_non_zero_exit_with_json_and_stderr_noise_is_accepted(
    town: StandinTown, gt_server: GasTownServer
) -> None:
    gt_server.start(EXAMPLE_SESSIONS)
    town.answer("status-fast", example_status(town), exit_code=1)
    (town.data / "status-fast.stderr").write_text("warning: bd daemon unhealthy\n" * 50)
    (town.data / "convoy_list.stderr").write_text("skipping convoy hq-cv-x: boom\n")
    reader = reader_for(town)
    reader.refresh_cheap(time.time())
    reader.refresh_status(fast=True)
    reader.refresh_convoys()
    gastown = reader.gastown(time.time())
    assert gastown.errors == []
    assert by_address(gastown)["gastown/nux"].status == "stuck"
    assert [c.id for c in gastown.convoys] == ["hq-cv-a1b2c"]


def test_missing_gt_and_bad_convoys(
    town: StandinTown, gt_server: GasTownServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    gt_server.start(EXAMPLE_SESSIONS)
    town.answer("convoy_list", {"not": "a list"})
    reader = reader_for(town)
    reader.refresh_convoys()
    assert [(e.source, e.kind) for e in reader.gastown(time.time()).errors] == [
        ("convoys", "bad_output")
    ]
    monkeypatch.setenv("GT_MCP_GT", "/nonexistent/gt")
    reader.refresh_cheap(time.time())
    reader.refresh_status(fast=True)
    gastown = reader.gastown(time.time())
    assert ("gt_status_fast", "missing") in [(e.source, e.kind) for e in gastown.errors]
    assert len(gastown.agents) == 6  # still there, from the tmux server


# --- odd text ---------------------------------------------------------------------------------------


ODD_TITLE = "#(touch {marker}) #[fg=red]bold; rm -rf / ; `x` $(y) ünï 🚚 [bold red]"


def test_odd_names_and_titles_are_kept_verbatim(
    town: StandinTown, gt_server: GasTownServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "ran"
    title = ODD_TITLE.format(marker=marker)
    status = example_status(town)
    status["rigs"][0]["agents"].append(
        agent(
            "ünï cödé",
            "gastown/ünï cödé",
            "gt-ünï cödé",
            "polecat",
            has_work=True,
            hook_bead="gt-odd01",
            work_title=title,
        )
    )
    town.set_status(status)
    gt_server.start({"gt-ünï cödé": {}, "gt-spa ced;semi": {}})
    town.event("mail", "gastown/ünï cödé", {"to": "mayor/", "subject": title})
    for var in ("LANG", "LC_ALL", "LC_CTYPE"):  # as under a bare run-shell: tmux would print `_`
        monkeypatch.delenv(var, raising=False)
    reader = reader_for(town)
    gastown = full_refresh(reader)
    agents = by_address(gastown)
    odd = agents["gastown/ünï cödé"]
    assert (odd.work_title, odd.running, odd.status) == (title, True, "working")
    assert agents["gastown/spa ced;semi"].session == "gt-spa ced;semi"
    assert gastown.events[-1].summary == f"mail -> mayor/: {title}"
    assert not marker.exists()


# --- files: ESTOP, heartbeats, events, rigs.json, deacon ---------------------------------------------


def test_estop_appears_and_disappears(town: StandinTown, gt_server: GasTownServer) -> None:
    gt_server.start(EXAMPLE_SESSIONS)
    reader = reader_for(town)
    full_refresh(reader)
    assert reader.gastown(time.time()).estop is False
    path = town.estop(reason="overseer pressed stop")
    rig_path = town.estop(rig="gastown", reason="bad merge")
    reader.refresh_cheap(time.time())
    gastown = reader.gastown(time.time())
    assert (gastown.estop, gastown.estop_rigs, gastown.estop_reason) == (
        True,
        ["gastown"],
        "overseer pressed stop",
    )
    assert gastown.rigs[0].estop
    path.unlink()
    rig_path.unlink()
    reader.refresh_cheap(time.time())
    gastown = reader.gastown(time.time())
    assert (gastown.estop, gastown.estop_rigs, gastown.estop_reason) == (False, [], None)
    assert not gastown.rigs[0].estop


def test_heartbeats_drive_stuck_working_and_stalled(
    town: StandinTown, gt_server: GasTownServer
) -> None:
    gt_server.start(EXAMPLE_SESSIONS)
    town.heartbeat("gt-witness", "stuck")
    town.heartbeat("gt-crew-max", "working")
    town.heartbeat("gt-refinery", "stuck", age=3600)  # stale: ignored
    reader = reader_for(town, stalled_minutes=15)
    now = time.time()
    full_refresh(reader)
    agents = by_address(reader.gastown(now))
    assert agents["gastown/witness"].status == "stuck"
    assert agents["gastown/crew/max"].status == "working"
    assert agents["gastown/refinery"].status == "idle"
    later = by_address(reader.gastown(now + 20 * 60))  # nothing moved for 20 minutes
    assert later["gastown/furiosa"].status == "stalled"
    assert later["deacon/"].status == "stalled"
    assert later["gastown/crew/max"].status == "idle"  # its heartbeat went stale, no work
    town.heartbeat("gt-furiosa", "working")
    reader.refresh_cheap(now)
    assert by_address(reader.gastown(now + 60))["gastown/furiosa"].status == "working"


def test_new_events_are_handed_over_once(town: StandinTown, gt_server: GasTownServer) -> None:
    town.event("sling", "mayor", {"bead": "gt-old01", "target": "gastown/nux"})
    reader = reader_for(town)
    reader.refresh_cheap(time.time())
    assert [e.summary for e in reader.gastown(time.time()).events] == [
        "sling gt-old01 -> gastown/nux"
    ]
    assert reader.take_new_events() == []  # the backlog is not news
    town.event("sling", "mayor", {"bead": "gt-abc12", "target": "gastown/furiosa"})
    town.event("session_death", "deacon", {"session": "gt-nux", "reason": "zombie"})
    reader.refresh_cheap(time.time())
    assert [e.summary for e in reader.take_new_events()] == [
        "sling gt-abc12 -> gastown/furiosa",
        "session died gt-nux: zombie",
    ]
    assert reader.take_new_events() == []
    assert len(reader.gastown(time.time()).events) == 3


def test_rigs_json_change_is_picked_up(town: StandinTown, gt_server: GasTownServer) -> None:
    gt_server.start({"bt-witness": {}, "bt-slit": {}})
    reader = reader_for(town)
    reader.refresh_cheap(time.time())
    gastown = reader.gastown(time.time())
    assert gastown.agents == [] and [r.name for r in gastown.rigs] == ["gastown"]
    rigs_file = town.root / "mayor" / "rigs.json"
    data = json.loads(rigs_file.read_text())
    data["rigs"]["beetle"] = {"local_repo": "/src/beetle", "beads": {"prefix": "bt"}}
    rigs_file.write_text(json.dumps(data))
    reader.refresh_cheap(time.time())
    gastown = reader.gastown(time.time())
    assert {a.address for a in gastown.agents} == {"beetle/witness", "beetle/slit"}
    beetle = gastown.rigs[1]
    assert (beetle.name, beetle.prefix, beetle.repo, beetle.has_witness, beetle.polecat_count) == (
        "beetle",
        "bt",
        "/src/beetle",
        True,
        1,
    )
    rigs_file.write_text("{broken")  # half-written: the last good rigs stay
    reader.refresh_cheap(time.time())
    gastown = reader.gastown(time.time())
    assert [(e.source, e.kind) for e in gastown.errors] == [("rigs", "bad_output")]
    assert [r.name for r in gastown.rigs] == ["gastown", "beetle"] and len(gastown.agents) == 2
    rigs_file.unlink()
    reader.refresh_cheap(time.time())
    gastown = reader.gastown(time.time())
    assert (gastown.rigs, gastown.agents, gastown.errors) == ([], [], [])


def test_deacon_heartbeat_age(town: StandinTown) -> None:
    (town.root / "deacon").mkdir()
    beat = town.root / "deacon" / "heartbeat.json"
    beat.write_text(json.dumps({"timestamp": "2026-03-01T10:00:00Z", "cycle": 7}))
    reader = reader_for(town)
    reader.refresh_cheap(time.time())
    age = reader.gastown(1772359200.0 + 90).deacon_heartbeat_age
    assert age == pytest.approx(90)


def test_gt_reported_socket_is_followed(
    town: StandinTown, servers: list[GasTownServer], tmp_path: Path
) -> None:
    other = GasTownServer(f"gtmcp-other-{tmp_path.name[-12:]}")
    servers.append(other)
    other.start({"hq-mayor": {}})
    status = example_status(town)
    status["tmux"]["socket"] = other.socket
    town.set_status(status)
    reader = reader_for(town)
    reader.refresh_cheap(time.time())
    assert not reader.gastown(time.time()).server_running
    reader.refresh_status(fast=True)
    reader.refresh_cheap(time.time())
    gastown = reader.gastown(time.time())
    assert gastown.server_running and gastown.socket == other.socket
    assert by_address(gastown)["mayor/"].running


def test_merging_while_gt_runs_in_a_thread(town: StandinTown, gt_server: GasTownServer) -> None:
    gt_server.start(EXAMPLE_SESSIONS)
    town.hang("status", 0.5)
    reader = reader_for(town)
    worker = threading.Thread(target=reader.refresh_status, kwargs={"fast": False})
    worker.start()
    seen = 0
    while worker.is_alive():
        reader.refresh_cheap(time.time())
        seen = max(seen, len(reader.gastown(time.time()).agents))
    worker.join()
    assert seen >= 6 and len(reader.gastown(time.time()).agents) == 7


# --- the truth about a real town (issue: answers as the real gt gives them) ---------------------

BANNER = (
    "\n⚠️  WARNING: beads (bd) version issue:\n   beads (bd) not found in PATH\n\n"
    "Install with: go install github.com/steveyegge/beads/cmd/bd@latest\n"
    "   Run gt doctor for details.\n\n"
)


def test_a_failing_gt_shows_its_error_line_not_the_banner(town: StandinTown) -> None:
    town.answer("convoy_list", "", exit_code=1)
    (town.data / "convoy_list.stderr").write_text(
        BANNER + 'Error: listing convoys: bd list: exec: "bd": executable file not found in $PATH\n'
    )
    gastown = full_refresh(reader_for(town))
    (error,) = [e for e in gastown.errors if e.source == "convoys"]
    assert error.message.startswith("gt exited 1: Error: listing convoys: bd list")


def test_json_nested_too_deep_is_garbled_not_a_crash(town: StandinTown) -> None:
    (town.data / "status.json").write_text("[" * 100_000 + "]" * 100_000)
    gastown = full_refresh(reader_for(town))
    (error,) = [e for e in gastown.errors if e.source == "gt_status"]
    assert error.kind == "bad_output" and "nested too deep" in error.message


def test_an_error_object_is_garbled_never_an_empty_healthy_town(town: StandinTown) -> None:
    town.set_status({"error": "dolt server unreachable"})
    gastown = full_refresh(reader_for(town))
    (error,) = [e for e in gastown.errors if e.source == "gt_status"]
    assert error.kind == "bad_output" and "dolt server unreachable" in error.message


def test_a_full_status_under_anothers_detail_lock_is_partial(town: StandinTown) -> None:
    """gt 1.2 drops to fast mode (no hooks, no mail) when it cannot take the lock."""
    reader = reader_for(town)
    full_refresh(reader)
    degraded = example_status(town)
    for entry in degraded["agents"] + degraded["rigs"][0]["agents"]:
        entry.update(has_work=False, unread_mail=0)
        for key in ("hook_bead", "work_title", "state"):
            entry.pop(key, None)
    town.set_status(degraded)
    lock = town.root / "daemon" / "status-detail.lock"
    lock.parent.mkdir(exist_ok=True)
    with lock.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # someone runs `gt status --watch`
        reader.refresh_status(fast=False)
    gastown = reader.gastown(time.time())
    agents = by_address(gastown)
    assert agents["gastown/furiosa"].hook_bead == "gt-abc12"  # not "no work"
    assert agents["gastown/nux"].status == "stuck" and agents["mayor/"].unread_mail == 1
    assert any(e.kind == "partial" for e in gastown.errors)
    assert reader.wants_full_status
    reader.refresh_status(fast=False)  # the lock is free again: a true answer
    assert not reader.wants_full_status
    assert by_address(reader.gastown(time.time()))["gastown/furiosa"].hook_bead is None


def test_gt_runs_without_the_agent_session_variables(
    town: StandinTown, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in {
        "GT_ROLE": "gastown/polecats/furiosa",
        "GT_SESSION": "gt-furiosa",
        "GT_RIG": "gastown",
        "GT_PANE_ID": "%3",
        "BD_ACTOR": "gastown/polecats/furiosa",
        "GT_TMUX_SOCKET": "auto",
    }.items():
        monkeypatch.setenv(key, value)
    full_refresh(reader_for(town))
    seen = [
        json.loads(line)["env"] for line in (tmp_path / "gt-argv.jsonl").read_text().splitlines()
    ]
    assert seen and all(env == {"GT_TMUX_SOCKET": "auto"} for env in seen)


def test_a_convoy_that_leaves_the_list_lands_only_when_gt_says_closed(town: StandinTown) -> None:
    reader = reader_for(town)
    full_refresh(reader)
    town.answer("convoy_list", [])  # beads unwell: the list comes back empty
    town.answer(
        "convoy_status",
        {"id": "hq-cv-a1b2c", "title": "Deploy v2.0", "status": "open", "completed": 4, "total": 5},
    )
    reader.refresh_convoys()
    (convoy,) = reader.gastown(time.time()).convoys
    assert (convoy.status, convoy.completed) == ("open", 4)  # dropped, not landed
    town.answer(
        "convoy_status",
        {
            "id": "hq-cv-a1b2c",
            "title": "Deploy v2.0",
            "status": "closed",
            "completed": 5,
            "total": 5,
        },
    )
    reader.refresh_convoys()
    (convoy,) = reader.gastown(time.time()).convoys
    assert (convoy.status, convoy.completed, convoy.total) == ("closed", 5, 5)


def test_one_reader_polls_gt_and_another_reads_what_it_published(
    town: StandinTown, tmp_path: Path
) -> None:
    first = GasTownReader(Settings(gt_timeout=10.0), TownLocation(town.root, "t"), share=True)
    second = GasTownReader(Settings(gt_timeout=10.0), TownLocation(town.root, "t"), share=True)
    first.refresh_status(fast=False)
    first.refresh_convoys()
    calls = len(gt_calls(tmp_path))
    second.refresh_status(fast=False)
    second.refresh_convoys()
    assert len(gt_calls(tmp_path)) == calls  # the second ran no gt
    now = time.time()
    mine, theirs = first.gastown(now), second.gastown(now)
    assert [a.address for a in theirs.agents] == [a.address for a in mine.agents]
    assert theirs.convoys == mine.convoys and theirs.gt_version == mine.gt_version
    assert first._share is not None
    first._share.release()  # the poller went away: the next refresh takes over
    second.refresh_status(fast=True)
    assert len(gt_calls(tmp_path)) > calls


def test_what_did_not_change_is_not_built_again(
    town: StandinTown, gt_server: GasTownServer
) -> None:
    """Raw inputs compared, not results: a session whose tmux lines are what they were, and an
    agent whose records are, come back as the same objects (every later comparison stops at
    `is`); one session gone rebuilds that agent alone."""
    gt_server.start(EXAMPLE_SESSIONS)
    reader = reader_for(town)
    full_refresh(reader)
    now = time.time()
    first = reader.gastown(now).agents
    reader.refresh_cheap(now)
    second = reader.gastown(now).agents
    assert len(first) > 3 and all(a is b for a, b in zip(first, second, strict=True))
    gt_server.kill_session("gt-furiosa")
    reader.refresh_cheap(now)
    third = reader.gastown(now).agents
    rebuilt = [b.address for a, b in zip(first, third, strict=True) if a is not b]
    assert (
        rebuilt == ["gastown/furiosa"] and not by_address(reader.gastown(now))[rebuilt[0]].running
    )
