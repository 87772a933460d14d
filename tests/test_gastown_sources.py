"""The Gas Town sources one by one: gt status and convoy parsing, town files, the events tail,
and the agent status rules."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from gt_mcp_tmux.agents import (
    classify_session,
    derive_status,
    identity_from_name,
    session_prefixes,
)
from gt_mcp_tmux.model import Convoy, SourceError
from gt_mcp_tmux.sources import events as events_source
from gt_mcp_tmux.sources.convoys import ConvoyBoard, parse_convoys
from gt_mcp_tmux.sources.events import EventTail, summarize
from gt_mcp_tmux.sources.gt_status import overlay_fast, parse_status
from gt_mcp_tmux.sources.gt_tmux_server import GtSession, parse_env_batch
from gt_mcp_tmux.sources.town_files import (
    Heartbeat,
    HeartbeatFolder,
    estop_reason,
    parse_rfc3339,
    read_estop,
)
from tests.townkit import example_status, iso, make_town

NOW = 1_800_000_000.0
STALLED = 15 * 60.0


# --- gt status --json ---------------------------------------------------------------------------


def test_example_status_parses_into_typed_records(tmp_path: Path) -> None:
    town = make_town(tmp_path)
    status = parse_status(example_status(town))
    assert not isinstance(status, SourceError)
    assert [a.role for a in status.agents] == ["mayor", "deacon"]  # coordinator, health-check
    assert status.socket == town.socket
    assert status.overseer_unread == 2
    (rig,) = status.rigs
    assert (rig.name, rig.polecat_count, rig.crew_count) == ("gastown", 2, 1)
    assert rig.mq is not None and (rig.mq.pending, rig.mq.state) == (2, "processing")
    nux = next(a for a in rig.agents if a.name == "nux")
    assert (nux.rig, nux.hook_bead, nux.state, nux.has_work) == (
        "gastown",
        "gt-def34",
        "stuck",
        True,
    )


@pytest.mark.parametrize("data", [[], "text", 3, None])
def test_status_that_is_not_an_object_is_bad_output(data: Any) -> None:
    result = parse_status(data)
    assert isinstance(result, SourceError) and result.kind == "bad_output"


def test_status_with_wrong_types_inside_keeps_what_it_can() -> None:
    data = {
        "agents": [
            {"name": "mayor", "role": "coordinator", "running": "yes", "unread_mail": "x"},
            7,
        ],
        "rigs": [{"name": "r", "agents": "nope", "mq": []}, {"no": "name"}],
        "overseer": "Jane",
    }
    status = parse_status(data)
    assert not isinstance(status, SourceError)
    (mayor,) = status.agents
    assert (mayor.running, mayor.unread_mail, mayor.address) == (False, 0, "mayor/")
    assert [r.name for r in status.rigs] == ["r"] and status.rigs[0].mq is None


def test_fast_answer_keeps_mail_hooks_and_queue_of_the_last_full_one(tmp_path: Path) -> None:
    town = make_town(tmp_path)
    full = parse_status(example_status(town))
    fast_data = example_status(town)
    fast_data.pop("overseer")
    for agent in fast_data["agents"] + fast_data["rigs"][0]["agents"]:
        agent.update(has_work=False, unread_mail=0)
        agent.pop("hook_bead", None)
        agent.pop("work_title", None)
    fast_data["rigs"][0].pop("mq")
    fast_data["rigs"][0]["agents"][2]["running"] = False  # furiosa stopped meanwhile
    fast = parse_status(fast_data, fast=True)
    assert not isinstance(full, SourceError) and not isinstance(fast, SourceError)
    merged = overlay_fast(fast, full)
    by_name = {a.name: a for a in merged.all_agents()}
    assert by_name["furiosa"].hook_bead == "gt-abc12" and by_name["furiosa"].running is False
    assert by_name["mayor"].unread_mail == 1
    assert merged.overseer_unread == 2
    assert merged.rigs[0].mq == full.rigs[0].mq


# --- convoys ------------------------------------------------------------------------------------


def convoy(ident: str, status: str = "open", done: int = 1, total: int = 3) -> dict[str, Any]:
    return {"id": ident, "title": f"T {ident}", "status": status, "completed": done, "total": total}


def test_convoy_list_parsing_skips_junk() -> None:
    parsed = parse_convoys([convoy("hq-cv-1"), {"title": "no id"}, 5, convoy("hq-cv-2", done=-1)])
    assert parsed == [
        Convoy("hq-cv-1", "T hq-cv-1", "open", 1, 3),
        Convoy("hq-cv-2", "T hq-cv-2", "open", 0, 3),
    ]
    bad = parse_convoys({"convoys": []})
    assert isinstance(bad, SourceError) and bad.kind == "bad_output"


def test_board_keeps_open_and_recently_closed_convoys() -> None:
    board = ConvoyBoard(keep_closed=600)
    board.update(
        [Convoy("a", "A", "open", 3, 5), Convoy("old", "Old", "closed", 4, 4)], NOW
    )  # closed before we looked: not "recent"
    assert [c.id for c in board.current(NOW)] == ["a"]
    board.update([], NOW + 60)  # a left the open list: it landed
    assert [(c.id, c.status) for c in board.current(NOW + 60)] == [("a", "closed")]
    assert [c.id for c in board.current(NOW + 60 + 601)] == []
    board.update([Convoy("b", "B", "open"), Convoy("old", "Old", "closed")], NOW + 700)
    board.update([Convoy("b", "B", "closed", 3, 3)], NOW + 760)
    assert board.current(NOW + 760) == [Convoy("b", "B", "closed", 3, 3)]


# --- town files ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01T10:00:00Z", 1772359200.0),
        ("2026-03-01T10:00:00.123456789Z", 1772359200.123456),
        ("2026-03-01T11:00:00+01:00", 1772359200.0),
        ("yesterday", None),
        (17, None),
    ],
)
def test_rfc3339(text: Any, expected: float | None) -> None:
    assert parse_rfc3339(text) == (pytest.approx(expected) if expected else None)


def test_heartbeats_are_reread_only_when_changed(tmp_path: Path) -> None:
    town = make_town(tmp_path)
    town.heartbeat("gt-furiosa", "stuck", age=10)
    town.heartbeat("hq-mayor", "", age=400)
    (town.root / ".runtime" / "heartbeats" / "broken.json").write_text("{not json")
    folder = HeartbeatFolder(town.root)
    beats, error = folder.read()
    assert beats["gt-furiosa"].state == "stuck"
    assert beats["hq-mayor"].state == "working"  # empty means working
    assert not beats["hq-mayor"].fresh(time.time())
    assert error is not None and error.kind == "bad_output" and "broken.json" in error.message
    (town.root / ".runtime" / "heartbeats" / "broken.json").unlink()
    town.heartbeat("gt-furiosa", "idle")
    beats, error = folder.read()
    assert error is None and beats["gt-furiosa"].state == "idle" and "broken" not in beats


def test_no_heartbeat_folder_is_no_error(tmp_path: Path) -> None:
    assert HeartbeatFolder(tmp_path).read() == ({}, None)


def test_estop_files(tmp_path: Path) -> None:
    town = make_town(tmp_path)
    assert read_estop(town.root)[0].town is False
    town.estop(rig="gastown", reason="rig on fire")
    state, error = read_estop(town.root)
    assert error is None and (state.town, state.rigs, state.reason) == (
        False,
        ["gastown"],
        "rig on fire",
    )
    town.estop(reason="all hands: stop; #(rm -rf /)")
    state, _ = read_estop(town.root)
    assert state.town and state.reason == "all hands: stop; #(rm -rf /)"
    (town.root / "ESTOP").write_text("")  # empty: still a stop, with no reason
    state, _ = read_estop(town.root)
    assert state.town and state.reason is None


def test_estop_reason_shapes() -> None:
    assert estop_reason("manual\t2026-01-01T00:00:00Z\tdisk full\n") == "disk full"
    assert estop_reason("just words\n") == "just words"
    assert estop_reason("\n") is None


# --- the events tail ----------------------------------------------------------------------------


def line(type_: str = "sling", **payload: Any) -> bytes:
    record = {
        "ts": iso(),
        "source": "gt",
        "type": type_,
        "actor": "mayor",
        "payload": payload or {"bead": "gt-abc12", "target": "gastown/furiosa"},
        "visibility": "feed",
    }
    return (json.dumps(record) + "\n").encode()


def append(path: Path, data: bytes) -> None:
    with path.open("ab") as fh:
        fh.write(data)


def test_summaries_read_like_the_feed() -> None:
    assert summarize("sling", {"bead": "gt-abc12", "target": "gastown/furiosa"}) == (
        "sling gt-abc12 -> gastown/furiosa"
    )
    assert summarize("mail", {"to": "mayor/", "subject": "Hi\nthere"}) == "mail -> mayor/: Hi there"
    assert summarize("done", {"bead": "gt-1"}) == "done gt-1"  # branch missing: fallback
    assert len(summarize("handoff", {"subject": "x" * 1000})) == events_source.SUMMARY_LIMIT


def test_tail_reads_appended_lines_once(tmp_path: Path) -> None:
    log = tmp_path / ".events.jsonl"
    append(log, line(bead="gt-old", target="x") * 3)
    tail = EventTail(log)
    assert tail.poll() is None
    assert len(tail.feed) == 3 and tail.take_new() == []  # the backlog is not news
    append(log, line("done", bead="gt-abc12", branch="polecat/furiosa"))
    tail.poll()
    (new,) = tail.take_new()
    assert (new.type, new.summary) == ("done", "done gt-abc12 (polecat/furiosa)")
    tail.poll()
    assert tail.take_new() == []


def test_tail_skips_bad_lines_and_unknown_types(tmp_path: Path) -> None:
    log = tmp_path / ".events.jsonl"
    tail = EventTail(log)
    tail.poll()  # no file yet: whatever comes later is news
    append(
        log,
        b"{not json\n"
        + b"[1,2]\n"
        + line("teleport")
        + b"\n\n"
        + line("spawn", rig="gastown", polecat="nux"),
    )
    assert tail.poll() is None
    assert [e.summary for e in tail.take_new()] == ["spawn gastown/nux"]


def test_tail_waits_for_a_partial_last_line(tmp_path: Path) -> None:
    log = tmp_path / ".events.jsonl"
    log.write_bytes(b"")
    tail = EventTail(log)
    tail.poll()
    whole = line("nudge", target="gastown/nux")
    append(log, whole[:20])
    tail.poll()
    assert tail.take_new() == []
    append(log, whole[20:])
    tail.poll()
    assert [e.summary for e in tail.take_new()] == ["nudge -> gastown/nux"]


def test_tail_follows_truncation_and_rotation(tmp_path: Path) -> None:
    log = tmp_path / ".events.jsonl"
    append(log, line(bead="a", target="t") * 5)
    tail = EventTail(log)
    tail.poll()
    log.write_bytes(line("hook", bead="gt-trunc"))  # truncated, then one new line
    tail.poll()
    assert [e.summary for e in tail.take_new()] == ["hook gt-trunc"]
    log.rename(tmp_path / ".events.jsonl.1")
    append(log, line("unhook", bead="gt-rot") * 10)  # rotated: a new file, longer than before
    tail.poll()
    assert [e.summary for e in tail.take_new()] == ["unhook gt-rot"] * 10


def test_a_gigabyte_log_is_read_from_its_end(tmp_path: Path) -> None:
    log = tmp_path / ".events.jsonl"
    with log.open("wb") as fh:
        fh.truncate(1024**3)  # 1 GiB, sparse: reading it whole would take seconds
        fh.seek(0, os.SEEK_END)
        for n in range(300):
            fh.write(line("sling", bead=f"gt-{n:05d}", target="gastown/furiosa"))
    tail = EventTail(log)
    tail.poll()
    assert tail.bytes_read <= events_source.FIRST_WINDOW + 1
    assert tail.feed[-1].summary == "sling gt-00299 -> gastown/furiosa"
    assert len(tail.feed) == events_source.FEED_SIZE
    before = tail.bytes_read
    append(log, line("merged", mr="gt-mr1", worker="gastown/nux"))
    tail.poll()
    assert [e.summary for e in tail.take_new()] == ["merged gt-mr1 (gastown/nux)"]
    assert tail.bytes_read - before == len(line("merged", mr="gt-mr1", worker="gastown/nux"))


def test_a_huge_burst_skips_ahead_instead_of_reading_it_all(tmp_path: Path) -> None:
    log = tmp_path / ".events.jsonl"
    log.write_bytes(b"")
    tail = EventTail(log)
    tail.poll()
    one = line("hook", bead="gt-burst")
    append(log, one * (events_source.MAX_READ // len(one) + 1000) + line("hook", bead="gt-last"))
    tail.poll()
    assert tail.bytes_read <= events_source.FIRST_WINDOW + 1
    assert tail.take_new()[-1].summary == "hook gt-last"


def test_an_endless_line_does_not_stall_the_tail(tmp_path: Path) -> None:
    log = tmp_path / ".events.jsonl"
    log.write_bytes(b"")
    tail = EventTail(log)
    tail.poll()
    append(log, b"x" * (events_source.MAX_READ + 10))
    tail.poll()
    append(log, b"\n" + line("hook", bead="gt-after"))
    tail.poll()
    tail.poll()
    assert [e.summary for e in tail.take_new()] == ["hook gt-after"]


# --- sessions and the status rules ---------------------------------------------------------------


def test_session_names_classify_by_longest_rig_prefix() -> None:
    prefixes = session_prefixes([("gastown", "gt"), ("gtx", "gt-x")])
    cases = {
        "hq-mayor": ("mayor", None, "mayor/"),
        "hq-deacon": ("deacon", None, "deacon/"),
        "hq-boot": ("boot", None, "deacon/boot"),
        "hq-dog-rex": ("dog", None, "deacon/dogs/rex"),
        "gt-witness": ("witness", "gastown", "gastown/witness"),
        "gt-refinery": ("refinery", "gastown", "gastown/refinery"),
        "gt-crew-max": ("crew", "gastown", "gastown/crew/max"),
        "gt-furi-osa": ("polecat", "gastown", "gastown/furi-osa"),
        "gt-x-witness": ("witness", "gtx", "gtx/witness"),
        "gt-gastown-nux": ("polecat", "gastown", "gastown/nux"),  # pre-0.7 names
    }
    for name, (role, rig, address) in cases.items():
        found = identity_from_name(name, prefixes)
        assert found is not None and (found.role, found.rig, found.address) == (role, rig, address)
    assert identity_from_name("main", prefixes) is None
    assert identity_from_name("gt-", prefixes) is None


def test_session_environment_wins_over_the_name() -> None:
    session = GtSession(
        id="$1", name="odd", env={"GT_ROLE": "gastown/polecats/furiosa", "GT_RIG": "gastown"}
    )
    found = classify_session(session, {})
    assert found is not None and (found.role, found.address) == ("polecat", "gastown/furiosa")
    crew = classify_session(GtSession(id="$2", name="x", env={"GT_ROLE": "gastown/crew/max"}), {})
    assert crew is not None and crew.address == "gastown/crew/max"
    boot = classify_session(GtSession(id="$3", name="y", env={"GT_ROLE": "deacon/boot"}), {})
    assert boot is not None and boot.role == "boot"


def test_env_batch_parsing_keeps_gt_variables_only() -> None:
    text = "\x1fgtmcp-env $1\n-DISPLAY\nGT_ROLE=mayor\nPATH=/bin\n\x1fgtmcp-env $2\nGT_RIG=a=b\n"
    assert parse_env_batch(text) == {"$1": {"GT_ROLE": "mayor"}, "$2": {"GT_RIG": "a=b"}}


def beat(state: str, age: float) -> Heartbeat:
    return Heartbeat(session="s", timestamp=NOW - age, state=state)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (dict(running=True, has_work=True, state="stuck"), "stuck"),
        (dict(running=False, has_work=True, state="stuck"), "stuck"),
        (dict(running=True, has_work=False, heartbeat=beat("stuck", 30)), "stuck"),
        (dict(running=True, has_work=False, heartbeat=beat("stuck", 600)), "idle"),  # stale beat
        (dict(running=False, has_work=True), "dead"),
        (dict(running=True, has_work=True, last_activity=NOW - STALLED), "stalled"),
        (dict(running=True, has_work=True, last_activity=NOW - STALLED + 1), "working"),
        (dict(running=True, has_work=True, last_activity=None), "working"),
        (dict(running=True, has_work=False, heartbeat=beat("working", 30)), "working"),
        (dict(running=False, has_work=False, heartbeat=beat("working", 30)), "stopped"),
        (dict(running=True, has_work=False, heartbeat=beat("idle", 30)), "idle"),
        (dict(running=True, has_work=False, state="awaiting-gate"), "idle"),
        (dict(running=False, has_work=False), "stopped"),
    ],
)
def test_status_rules(kwargs: dict[str, Any], expected: str) -> None:
    args: dict[str, Any] = dict(
        state=None, heartbeat=None, last_activity=NOW, now=NOW, stalled_seconds=STALLED
    )
    args.update(kwargs)
    assert derive_status(**args) == expected
