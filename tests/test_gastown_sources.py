"""The Gas Town sources one by one: gt status and convoy parsing, town files, the events tail,
and the agent status rules."""

from __future__ import annotations

import fcntl
import json
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import gt_mcp_tmux.sources.gastown.events as events_source
from gt_mcp_tmux.demo.town_layout import iso
from gt_mcp_tmux.model import Convoy, SourceError
from gt_mcp_tmux.sources.gastown.agents import (
    classify_session,
    derive_status,
    identity_from_name,
    session_prefixes,
)
from gt_mcp_tmux.sources.gastown.convoys import ConvoyBoard, parse_convoys
from gt_mcp_tmux.sources.gastown.events import EventTail, summarize
from gt_mcp_tmux.sources.gastown.files import (
    Heartbeat,
    HeartbeatFolder,
    estop_reason,
    lock_held,
    parse_rfc3339,
    parse_rigs_json,
    read_estop,
)
from gt_mcp_tmux.sources.gastown.status import overlay_fast, parse_status
from gt_mcp_tmux.sources.gastown.tmux_server import GtSession, parse_env_batch
from tests.townkit import example_status, make_town

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


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"error": "dolt is down"}, "has no agents or rigs: dolt is down"),
        ({"agents": [{"name": "mayor", "running": "true"}], "rigs": []}, "running is text"),
        ({"agents": [], "rigs": [{"name": "r", "polecat_count": "3"}]}, "polecat_count is text"),
        ({"agents": [7], "rigs": []}, "agents is a number"),
        ({"agents": [], "rigs": "none"}, "rigs is text"),
        ([], "gave list"),
    ],
)
def test_status_that_is_not_gts_shape_is_garbled_with_the_reason(data: Any, reason: str) -> None:
    """Never a healthy empty town out of an answer that was not a status."""
    status = parse_status(data)
    assert isinstance(status, SourceError) and status.kind == "bad_output"
    assert reason in status.message


def test_fast_answer_keeps_mail_and_queue_but_its_hooks_are_the_truth(tmp_path: Path) -> None:
    """`--fast` skips mail, the per-rig hook list and the merge queue; every agent's hook and
    state are in it (status.go), so an empty hook there means the work is gone (`gt done`)."""
    town = make_town(tmp_path)
    full = parse_status(example_status(town))
    fast_data = example_status(town)
    fast_data.pop("overseer")
    for agent in fast_data["agents"] + fast_data["rigs"][0]["agents"]:
        agent.update(unread_mail=0)
    furiosa = fast_data["rigs"][0]["agents"][2]
    furiosa.update(has_work=False, running=False)  # ran `gt done`: hook cleared
    furiosa.pop("hook_bead")
    furiosa.pop("work_title")
    fast_data["rigs"][0].pop("mq")
    fast = parse_status(fast_data, fast=True)
    assert not isinstance(full, SourceError) and not isinstance(fast, SourceError)
    merged = overlay_fast(fast, full)
    by_name = {a.name: a for a in merged.all_agents()}
    assert by_name["furiosa"].hook_bead is None and not by_name["furiosa"].has_work
    assert by_name["nux"].hook_bead == "gt-def34"  # still hooked in the fast answer itself
    assert by_name["mayor"].unread_mail == 1
    assert merged.overseer_unread == 2
    assert merged.rigs[0].mq == full.rigs[0].mq


def test_partial_full_answer_keeps_hooks_and_states_of_the_last_full_one(tmp_path: Path) -> None:
    """gt 1.2 degrades a full status taken under another's detail lock: no hooks, no states."""
    town = make_town(tmp_path)
    full = parse_status(example_status(town))
    degraded = example_status(town)
    for agent in degraded["agents"] + degraded["rigs"][0]["agents"]:
        agent.update(has_work=False, unread_mail=0)
        for key in ("hook_bead", "work_title", "state"):
            agent.pop(key, None)
    partial = parse_status(degraded)
    assert not isinstance(full, SourceError) and not isinstance(partial, SourceError)
    merged = overlay_fast(replace(partial, partial=True), full)
    by_name = {a.name: a for a in merged.all_agents()}
    assert by_name["furiosa"].hook_bead == "gt-abc12"
    assert by_name["nux"].state == "stuck" and by_name["mayor"].unread_mail == 1


def test_lock_held_is_read_from_proc_locks_without_taking_it(tmp_path: Path) -> None:
    lock = tmp_path / "status-detail.lock"
    lock.write_text("")
    assert not lock_held(lock)
    with lock.open("rb") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        assert lock_held(lock)
    assert not lock_held(lock)
    assert not lock_held(tmp_path / "missing.lock")


# --- convoys ------------------------------------------------------------------------------------


def convoy(ident: str, status: str = "open", done: int = 1, total: int = 3) -> dict[str, Any]:
    return {"id": ident, "title": f"T {ident}", "status": status, "completed": done, "total": total}


def test_convoy_list_parsing_skips_entries_without_id_and_refuses_wrong_types() -> None:
    parsed = parse_convoys([convoy("hq-cv-1"), {"title": "no id"}, convoy("hq-cv-2", done=-1)])
    assert parsed == [
        Convoy("hq-cv-1", "T hq-cv-1", "open", 1, 3),
        Convoy("hq-cv-2", "T hq-cv-2", "open", 0, 3),
    ]
    bad = parse_convoys({"convoys": []})
    assert isinstance(bad, SourceError) and bad.kind == "bad_output"
    wrong = parse_convoys([{**convoy("hq-cv-3"), "completed": "3"}])
    assert isinstance(wrong, SourceError) and "completed is '3'" in wrong.message
    assert isinstance(parse_convoys([5]), SourceError)


def test_board_lands_a_convoy_only_when_gt_says_closed() -> None:
    board = ConvoyBoard(keep_closed=600)
    board.update(
        [Convoy("a", "A", "open", 3, 5), Convoy("old", "Old", "closed", 4, 4)], NOW
    )  # closed before we looked: not "recent"
    assert [c.id for c in board.current(NOW)] == ["a"]
    assert board.missing([]) == ["a"]
    board.update([], NOW + 30)  # `[]`, and nobody could say why: still open, as last seen
    assert [(c.id, c.status) for c in board.current(NOW + 30)] == [("a", "open")]
    board.update([], NOW + 45, {"a": Convoy("a", "A", "open", 4, 5)})  # dropped, not landed
    assert board.current(NOW + 45) == [Convoy("a", "A", "open", 4, 5)]
    board.update([], NOW + 60, {"a": Convoy("a", "A", "closed", 5, 5)})
    assert board.current(NOW + 60) == [Convoy("a", "A", "closed", 5, 5)]  # its final counts
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


def test_files_that_are_not_files_are_never_opened_for_reading(tmp_path: Path) -> None:
    """A FIFO where a heartbeat or ESTOP is expected would block a reader: it is refused."""
    town = make_town(tmp_path)
    folder = town.root / ".runtime" / "heartbeats"
    folder.mkdir(parents=True, exist_ok=True)
    os.mkfifo(folder / "gt-nux.json")
    beats, error = HeartbeatFolder(town.root).read()
    assert "gt-nux" not in beats and error is not None and "gt-nux.json" in error.message
    os.mkfifo(town.root / "ESTOP")
    state, _ = read_estop(town.root)
    assert state.town and state.reason is None  # it exists: a stop in force, content unread


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
    note = tail.poll()
    assert [e.summary for e in tail.take_new()] == ["spawn gastown/nux"]
    assert note is not None and note.kind == "skipped"
    assert note.message == "2 line(s) of .events.jsonl skipped (last: not a JSON object)"


def test_tail_skips_a_line_not_utf8_or_nested_too_deep_and_keeps_its_neighbours(
    tmp_path: Path,
) -> None:
    log = tmp_path / ".events.jsonl"
    tail = EventTail(log)
    tail.poll()
    deep = b'{"type":"sling","payload":' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
    append(
        log,
        line("hook", bead="gt-before")
        + b'{"type":"sling","actor":"\xff\xfe"}\n'
        + deep
        + line("hook", bead="gt-after"),
    )
    note = tail.poll()
    assert [e.summary for e in tail.take_new()] == ["hook gt-before", "hook gt-after"]
    assert note is not None and "2 line(s)" in note.message and "nested too deep" in note.message


def test_the_daemons_hourly_rewrite_announces_nothing_and_duplicates_nothing(
    tmp_path: Path,
) -> None:
    """krc.go: survivors written to `.events.jsonl.tmp`, renamed over the log (a new inode)."""
    log = tmp_path / ".events.jsonl"
    death = line("session_death", session="gt-nux", reason="crash detected by daemon health check")
    append(log, line("sling", bead="gt-1", target="x"))
    tail = EventTail(log)
    tail.poll()
    append(log, death + line("hook", bead="gt-2"))
    tail.poll()
    assert [e.type for e in tail.take_new()] == ["session_death", "hook"]
    tmp = tmp_path / ".events.jsonl.tmp"
    tmp.write_bytes(log.read_bytes())  # nothing expired: the same lines, a new inode
    tmp.rename(log)
    tail.poll()
    assert tail.take_new() == []
    assert [e.type for e in tail.feed] == ["sling", "session_death", "hook"]
    append(log, line("unhook", bead="gt-2"))
    tail.poll()
    assert [e.type for e in tail.take_new()] == ["unhook"]


def test_events_older_than_the_tail_are_history(tmp_path: Path) -> None:
    """A rewrite that brings back lines this tail never read (older than its window) is history."""
    log = tmp_path / ".events.jsonl"
    log.write_bytes(b"")
    tail = EventTail(log)
    tail.poll()
    old = json.dumps(
        {"ts": "2026-10-01T00:00:00Z", "type": "mass_death", "actor": "daemon", "payload": {}}
    ).encode()
    tmp = tmp_path / ".events.jsonl.tmp"
    tmp.write_bytes(old + b"\n" + line("hook", bead="gt-new"))
    tmp.rename(log)
    tail.poll()
    assert [e.summary for e in tail.take_new()] == ["hook gt-new"]
    assert [e.type for e in tail.feed] == ["mass_death", "hook"]


def test_truncate_and_grow_between_two_polls_loses_nothing(tmp_path: Path) -> None:
    log = tmp_path / ".events.jsonl"
    append(log, line("sling", bead="gt-1", target="x") * 2)
    tail = EventTail(log)
    tail.poll()
    # truncated and written again past the old size before the next look
    log.write_bytes(
        line("hook", bead="gt-a") + line("hook", bead="gt-b") + line("hook", bead="gt-c")
    )
    tail.poll()
    assert [e.summary for e in tail.take_new()] == ["hook gt-a", "hook gt-b", "hook gt-c"]


def test_identical_lines_are_separate_events(tmp_path: Path) -> None:
    log = tmp_path / ".events.jsonl"
    log.write_bytes(b"")
    tail = EventTail(log)
    tail.poll()
    append(log, line("nudge", target="gastown/nux") * 2)
    tail.poll()
    first, second = tail.take_new()
    assert first.id != second.id


def test_a_fifo_in_place_of_the_log_is_refused_without_blocking(tmp_path: Path) -> None:
    log = tmp_path / ".events.jsonl"
    os.mkfifo(log)
    tail = EventTail(log)
    error = tail.poll()
    assert error is not None and "not a regular file" in error.message


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
    }
    for name, (role, rig, address) in cases.items():
        found = identity_from_name(name, prefixes)
        assert found is not None and (found.role, found.rig, found.address) == (role, rig, address)
    assert identity_from_name("main", prefixes) is None
    assert identity_from_name("gt-", prefixes) is None
    # town sessions Gas Town does not run as agents are never a rig's polecat
    assert identity_from_name("hq-overseer", {**prefixes, "hq": "hqrig"}) is None


def test_a_rig_without_a_beads_prefix_gets_gt(tmp_path: Path) -> None:
    rigs = parse_rigs_json(tmp_path, {"rigs": {"plain": {"git_url": "x", "beads": {}}}})
    assert rigs is not None and rigs[0].prefix == "gt"


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
