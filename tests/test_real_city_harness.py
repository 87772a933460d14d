"""The live-city harness (tests/realcity.py) and the facts about a real Gas City it stands on.

Each test asserts something the product's Gas City reader relies on, against a city made by the
real `gc` 0.15.1: names on its tmux server, the session environment, the supervisor API, the
events log and stream, a crash loop, a supervisor gone, and a teardown that leaves nothing.
Details and samples: docs/gascity-observed.md.
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.realcity import (
    LOCK_PATH,
    NAMED_SESSIONS,
    CityLock,
    RealCity,
    crashing_city,  # noqa: F401  (fixture)
    free_port,
    gc_agent,  # noqa: F401  (fixture)
    live_city,  # noqa: F401  (fixture)
    make_real_city,
    running_city,
    wait_for,
    wait_for_quarantine,
)
from tests.waiting import retry_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

RECIPE_BEADS = {"Write a README", "Add a LICENSE", "Fix the flaky test"}


def polecats(names: list[str] | set[str]) -> list[str]:
    return sorted(n for n in names if n.startswith("polecat-"))


# --- one city, read only: the tests of this class share it ------------------------------------


@pytest.fixture(scope="class")
def city(tmp_path_factory: pytest.TempPathFactory, gc_agent: Path) -> Iterator[RealCity]:  # noqa: F811
    with running_city(tmp_path_factory.mktemp("city"), gc_agent) as up:
        yield up


class TestALiveCity:
    def test_its_tmux_server_is_named_after_the_city_and_has_the_recipes_sessions(
        self, city: RealCity
    ) -> None:
        assert Path(city.socket_path).is_socket()
        assert Path(city.socket_path).name == city.name  # no hash
        listed = city.tmux_sessions()
        assert set(NAMED_SESSIONS) <= set(listed)
        assert len(polecats(listed)) == 1  # polecat-<session bead id>, the rig dropped
        assert polecats(listed)[0].startswith("polecat-gc-")

    def test_session_environment_names_the_city_and_no_gas_town_role(self, city: RealCity) -> None:
        for session in (*NAMED_SESSIONS, *polecats(city.tmux_sessions())):
            env = city.session_env(session)
            assert env["GC_SESSION_NAME"] == session
            assert env["GC_CITY"] == env["GC_CITY_PATH"] == str(city.root)
            assert env["GT_ROOT"] == str(city.root)  # a city is not a town, though it says so
            assert "GT_ROLE" not in env
            assert env["GC_SESSION_ID"].startswith("gc-")
            assert env["HOME"] == str(city.home)
        mayor, witness = city.session_env("mayor"), city.session_env("demorig--witness")
        assert (mayor["GC_TEMPLATE"], mayor["GC_ALIAS"], mayor["GC_SESSION_ORIGIN"]) == (
            "mayor",
            "mayor",
            "named",
        )
        assert "GC_RIG" not in mayor
        assert (witness["GC_TEMPLATE"], witness["GC_RIG"], witness["GC_AGENT"]) == (
            "demorig/witness",
            "demorig",
            "demorig/witness",
        )
        polecat = city.session_env(polecats(city.tmux_sessions())[0])
        assert polecat["GC_TEMPLATE"] == "demorig/polecat"
        assert polecat["GC_SESSION_ORIGIN"] == "ephemeral"
        assert polecat["GC_AGENT"] == "demorig/polecat-1"
        assert polecat["GC_RIG_ROOT"] == str(city.rig)

    def test_the_api_lists_the_same_sessions_as_the_tmux_server(self, city: RealCity) -> None:
        sessions = {s["session_name"]: s for s in city.sessions()}
        assert set(sessions) == set(city.tmux_sessions())
        assert all(s["state"] == "active" and s["running"] is True for s in sessions.values())
        for name in NAMED_SESSIONS:
            assert sessions[name]["configured_named_session"] is True
        assert sessions["demorig--witness"]["alias"] == "demorig/witness"
        assert sessions["demorig--witness"]["rig"] == "demorig"
        polecat = sessions[polecats(set(sessions))[0]]
        assert polecat["id"] == polecat["session_name"].removeprefix("polecat-")
        assert (polecat["template"], polecat["pool"], polecat["alias"]) == (
            "demorig/polecat",
            "polecat",
            "demorig/polecat-1",
        )
        assert "configured_named_session" not in polecat

    def test_gc_session_list_json_agrees_with_the_api(self, city: RealCity) -> None:
        listed = {s["SessionName"]: s for s in city.gc_json("session", "list")}
        assert set(listed) == {s["session_name"] for s in city.sessions()}
        assert {s["State"] for s in listed.values()} == {"active"}

    def test_gc_status_json_lists_pool_instances_not_the_named_sessions(
        self, city: RealCity
    ) -> None:
        status = city.gc_json("status")
        assert status["city_name"] == city.name and status["city_path"] == str(city.root)
        assert status["controller"]["running"] is True
        names = {a["qualified_name"] for a in status["agents"]}
        assert "mayor" not in names and "demorig/witness" not in names
        assert "demorig/polecat-1" in names
        assert status["summary"]["active_sessions"] == len(city.tmux_sessions())

    def test_the_humans_mailbox_has_unread_mail(self, city: RealCity) -> None:
        count = city.city_api("/mail/count?agent=human")
        assert count["total"] >= count["unread"] >= 1
        mail = city.city_api("/mail?agent=human")["items"]
        assert any(m["from"] == "demorig/witness" and m["read"] is False for m in mail)

    def test_the_rigs_ready_beads_come_from_bd_in_the_rig(self, city: RealCity) -> None:
        done = subprocess.run(
            ["bd", "ready", "--json"],
            cwd=city.rig,
            env=city.env(),
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        )
        ready = json.loads(done.stdout)
        assert {b["title"] for b in ready} >= RECIPE_BEADS
        assert {b["type"] for b in ready} == {"task", "convoy"}  # the sling's auto-convoy
        assert all(b["id"].startswith("gc-") for b in ready)  # the city's prefix, not the rig's

    def test_the_api_does_not_see_rig_beads_made_after_the_controller_loaded_the_rig(
        self, city: RealCity
    ) -> None:
        """gc 0.15.1, file store: the API holds the rig's store as it was when the controller
        last loaded a changed config; beads that `bd` writes in the rig later are not in
        /beads/ready (nor /beads) until the next such reload. The city's own store is live."""
        titles = {b["title"] for b in city.city_api("/beads/ready")["items"]}
        assert not titles & RECIPE_BEADS
        assert not titles & {b["title"] for b in city.city_api("/beads")["items"]}

    def test_the_events_log_and_the_api_events(self, city: RealCity) -> None:
        logged = city.events()
        kinds = {(e["type"], e.get("subject")) for e in logged}
        assert ("controller.started", None) in kinds
        for subject in ("mayor", "deacon", "demorig/witness", "demorig/polecat-1"):
            assert ("session.woke", subject) in kinds  # the alias, not the tmux name
        to_human = [e for e in logged if e["type"] == "mail.sent" and e.get("message") == "human"]
        assert to_human and to_human[0]["payload"]["message"]["to"] == "human"
        listed = city.city_api("/events")
        assert listed["total"] == len(listed["items"]) >= len(logged)

    def test_the_event_stream_is_server_sent_events(self, city: RealCity) -> None:
        url = f"{city.url}/v0/city/{city.name}/events/stream?after_seq=0"
        with urllib.request.urlopen(url, timeout=10) as stream:
            assert stream.headers["Content-Type"] == "text/event-stream"
            lines = [stream.readline().decode().rstrip("\n") for _ in range(4)]
        assert lines[0] == "event: controller.started"
        assert lines[1] == "id: 1"
        assert lines[2].startswith("data: ")
        assert json.loads(lines[2].removeprefix("data: "))["seq"] == 1
        assert lines[3] == ""

    def test_a_second_city_in_the_same_process_is_refused_at_once(
        self,
        city: RealCity,
        tmp_path: Path,
        gc_agent: Path,  # noqa: F811
    ) -> None:
        started = time.monotonic()
        with pytest.raises(pytest.fail.Exception, match="one live city at a time"):
            make_real_city(tmp_path / "second", gc_agent, port=free_port())
        assert time.monotonic() - started < 5
        assert CityLock.held_by == city.name


# --- cities of their own -------------------------------------------------------------------------


def test_a_crash_looping_agent_is_quarantined_without_an_event(
    crashing_city: RealCity,  # noqa: F811
) -> None:
    city = crashing_city
    started = time.monotonic()
    entry = wait_for_quarantine(city)
    took = time.monotonic() - started
    # an agent that exits at once "died during startup": it stays `creating`; on a loaded
    # machine gc sometimes sees it start before it dies, and then it is `asleep`
    assert (entry["reason"], entry["running"]) == ("quarantine", False)
    assert entry["state"] in ("creating", "asleep"), entry
    assert took < 90, f"quarantined after {took:.0f}s"
    listed = [s for s in city.gc_json("session", "list") if s["SessionName"] == "crasher"]
    assert [s["State"] for s in listed] in (["creating"], ["asleep"])
    # gc removes a session that died starting (on a loaded machine a moment after quarantine)
    assert retry_until(lambda: "crasher" not in city.tmux_sessions(), 30), city.tmux_sessions()
    kinds = {e["type"] for e in city.events()}
    assert not kinds & {"session.crashed", "session.quarantined"}
    assert not [e for e in city.events() if e.get("subject") == "crasher"]
    # the rest of the city is untouched
    assert all(city.session(name)["running"] for name in NAMED_SESSIONS)  # type: ignore[index]


def test_with_its_supervisor_killed_the_api_is_gone_and_the_sessions_stay(
    live_city: RealCity,  # noqa: F811
) -> None:
    city = live_city
    before = city.panes()
    city.stop_supervisor(graceful=False)
    with pytest.raises(urllib.error.URLError):
        city.api("/health")
    assert city.panes() == before  # same panes, same pids, all alive
    assert all(p["dead"] == "0" for p in before.values())
    status = city.gc_json("status")  # still answers, from the city's files
    assert status["controller"] == {"running": False, "mode": "supervisor"}
    assert {s["SessionName"] for s in city.gc_json("session", "list")} == set(before)
    city.start_supervisor()
    wait_for(
        lambda: {s["session_name"] for s in city.sessions() if s["running"]} == set(before),
        30,
        what="every session running again",
    )
    assert city.panes() == before  # adopted, not restarted
    assert [e["type"] for e in city.events()].count("controller.started") == 2


def test_gc_sling_takes_the_target_first_and_text_makes_a_bead(
    live_city: RealCity,  # noqa: F811
) -> None:
    city = live_city
    done = city.gc("sling", "mayor", "Plan the week")
    assert done.returncode == 0, done.stderr
    created, convoy, slung = done.stdout.splitlines()[:3]
    bead = created.split()[1]  # Created gc-N — "Plan the week"
    assert created == f'Created {bead} — "Plan the week"'
    assert convoy.startswith("Auto-convoy gc-")
    assert slung == f"Slung {bead} → mayor"
    # the city's store is live in the API, within a second or two
    ready = wait_for(
        lambda: [b for b in city.city_api("/beads/ready")["items"] if b["id"] == bead],
        15,
        what=f"{bead} in /beads/ready",
    )
    assert ready[0]["metadata"]["gc.routed_to"] == "mayor"
    # a pool instance of the mayor's template starts beside the named mayor
    extra = wait_for(
        lambda: [
            s
            for s in city.sessions()
            if s["template"] == "mayor" and s["session_name"] != "mayor" and s["running"]
        ],
        30,
        what="a second mayor session",
    )
    assert extra[0]["session_name"] == f"mayor-{extra[0]['id']}"
    assert extra[0]["alias"] == "mayor-1"
    # a rig bead from the city folder: gc-N is the city's prefix, so the rig refuses it...
    refused = city.gc("sling", "demorig/polecat", "gc-2")
    assert refused.returncode == 1 and "cross-rig routing" in refused.stderr
    assert (
        city.gc("sling", "demorig/polecat", "gc-2", "--force").returncode == 0
    )  # ...unless forced
    unknown = city.gc("sling", "nosuch", "gc-2")
    assert unknown.returncode == 1 and 'agent "nosuch" not found in city.toml' in unknown.stderr


def test_kill_leaves_no_process_no_socket_and_frees_the_lock(
    tmp_path: Path,
    gc_agent: Path,  # noqa: F811
) -> None:
    city = make_real_city(tmp_path / "c", gc_agent, port=free_port())
    assert city.leftovers()  # something to clean: supervisor, tmux server, agents, socket
    pids = {int(p["pid"]) for p in city.panes().values()}
    started = time.monotonic()
    city.kill()
    assert time.monotonic() - started < 30
    assert city.leftovers() == []
    assert not Path(city.socket_path).exists()
    # the agents' processes end with their server (a zombie being reaped, or a pid the
    # machine has since given to another program, is not the city's)
    assert wait_for(
        lambda: not [pid for pid in pids if _city_process(pid, city)], 10, what="agents"
    )
    assert not city.api_up()
    with LOCK_PATH.open("a+") as lock:  # free for the next city, whoever it is
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(lock, fcntl.LOCK_UN)
    city.kill()  # again: nothing to do, no error


def test_wait_for_reports_what_it_waited_for() -> None:
    answers: list[Any] = [OSError("refused"), None, {"up": True}]
    assert wait_for(lambda: _next(answers), 5, every=0.01, what="x") == {"up": True}
    with pytest.raises(AssertionError, match=r"waiting for the moon: \[\]"):
        wait_for(list, 0.05, every=0.01, what="the moon")


def _next(answers: list[Any]) -> Any:
    answer = answers.pop(0)
    if isinstance(answer, Exception):
        raise answer
    return answer


def _city_process(pid: int, city: RealCity) -> bool:
    """The process `pid` is alive, not a zombie, and one of the city's (its HOME)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
    if "State:\tZ" in status:
        return False
    return f"HOME={city.home}".encode() in environ.split(b"\0")
