"""Jump to any agent across tmux servers, and sling from a picker: driven as a person would."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from gt_mcp_tmux.model import Agent, GasTown, Rig
from gt_mcp_tmux.render.choices import Choice
from gt_mcp_tmux.sources.gastown.ready import parse_ready
from gt_mcp_tmux.sources.gastown.town import gastown_socket_path
from gt_mcp_tmux.ui.jump import go_argv
from gt_mcp_tmux.ui.picker import PickerState
from gt_mcp_tmux.ui.sling import sling_argv, sling_targets
from tests.conftest import env_line, run_in_pane
from tests.harness import Screen, TmuxServer
from tests.townkit import StandinTown

GT_MCP = str(Path(sys.executable).parent / "gt-mcp")
pytestmark = pytest.mark.integration


def choices(*names: str) -> list[Choice[str]]:
    from rich.text import Text

    return [Choice(Text(n), n, n) for n in names]


def test_picker_filters_moves_and_chooses() -> None:
    state = PickerState(choices("gastown/furiosa polecat", "gastown/nux polecat", "mayor/ mayor"))
    for key in "pole":
        state.press(key)
    assert [c.value for c in state.shown] == ["gastown/furiosa polecat", "gastown/nux polecat"]
    state.press("down")
    assert state.selected is not None and state.selected.value == "gastown/nux polecat"
    state.press(" ")
    for key in "FUR":  # every word must match, case does not matter
        state.press(key)
    assert [c.value for c in state.shown] == ["gastown/furiosa polecat"]
    assert state.press("enter") == "choose"
    state.press("backspace")
    assert state.press("esc") == "cancel"
    for key in "zzz":
        state.press(key)
    assert state.shown == [] and state.press("enter") is None  # nothing to choose


def test_go_argv_for_each_place(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TMUX", raising=False)
    path = gastown_socket_path("gt-abc123")  # where gt keeps it (it ignores TMUX_TMPDIR)
    assert go_argv("gt-abc123", "gt-nux", "popup", None) == [
        "tmux",
        "-S",
        path,
        "attach-session",
        "-t",
        "=gt-nux:",
    ]
    monkeypatch.setenv("TMUX", "/tmp/tmux-0/default,1,0")
    popup = go_argv("gt-abc123", "gt-nux", "popup", "/dev/pts/3")
    assert popup[:4] == ["tmux", "display-popup", "-c", "/dev/pts/3"]
    assert popup[-10:] == [
        "--",
        "env",
        "-u",
        "TMUX",
        "tmux",
        "-S",
        path,
        "attach-session",
        "-t",
        "=gt-nux:",
    ]
    window = go_argv("gt-abc123", "gt-nux", "window", None)
    assert window[:2] == ["tmux", "new-window"] and window[-1] == "=gt-nux:"
    monkeypatch.setenv("TMUX", "/tmp/tmux-0/gt-abc123,1,0")
    assert go_argv("gt-abc123", "gt-nux", "popup", "/dev/pts/3") == [
        "tmux",
        "switch-client",
        "-c",
        "/dev/pts/3",
        "-t",
        "=gt-nux:",
    ]


def test_jump_from_the_users_server_opens_the_agent_in_a_popup(
    town: StandinTown, gas_town: TmuxServer, tmux: TmuxServer, screen: Screen
) -> None:
    run_in_pane(tmux, *env_line(town), GT_MCP, "jump", "gastown/furiosa")
    text = screen.wait_for(lambda t: "I AM GT-FURIOSA" in t, timeout=20)
    assert "I AM GT-FURIOSA" in text
    sessions = tmux.out("list-sessions", "-F", "#{session_name}").split()
    assert sessions == ["main"]  # nothing named like Gas Town's was created on the user's server
    screen.keys("C-b", "d")  # detach the inner client: the popup closes
    text = screen.wait_for(lambda t: "I AM GT-FURIOSA" not in t)
    assert "I AM GT-FURIOSA" not in text
    assert gas_town.out("list-sessions", "-F", "#{session_name}").count("gt-furiosa") == 1


def test_jump_inside_gas_towns_server_switches_the_client(
    town: StandinTown, gas_town: TmuxServer
) -> None:
    view = Screen(gas_town, session="hq-mayor")
    try:
        view.wait_for(lambda t: bool(t.strip()))
        client = gas_town.out("list-clients", "-F", "#{client_name}")
        env = {
            **os.environ,
            "TMUX": gas_town.out("display-message", "-p", "#{socket_path}") + ",1,0",
            "GT_TOWN_ROOT": str(town.root),
        }
        import subprocess

        subprocess.run(
            [GT_MCP, "jump", "gt-furiosa", "--client", client],
            env=env,
            check=True,
            capture_output=True,
            timeout=30,
        )
        assert gas_town.out("list-clients", "-F", "#{client_session}") == "gt-furiosa"
        assert "I AM GT-FURIOSA" in view.wait_for(lambda t: "I AM GT-FURIOSA" in t)
    finally:
        view.close()


def test_jump_json_lists_agents_most_urgent_first(
    town: StandinTown, gas_town: TmuxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess

    monkeypatch.setenv("GT_TOWN_ROOT", str(town.root))
    done = subprocess.run(
        [GT_MCP, "jump", "--json"], capture_output=True, text=True, check=True, timeout=30
    )
    data = json.loads(done.stdout)
    assert data["socket"] == town.socket
    assert data["agents"][0]["address"] == "gastown/nux" and data["agents"][0]["status"] == "stuck"
    unknown = subprocess.run([GT_MCP, "jump", "nobody"], capture_output=True, text=True, timeout=30)
    assert (
        unknown.returncode == 2 and unknown.stderr.count("\n") == 1 and "no agent" in unknown.stderr
    )
    dead = subprocess.run(
        [GT_MCP, "jump", "gastown/nux"], capture_output=True, text=True, timeout=30
    )
    assert dead.returncode == 2 and "no live session" in dead.stderr


HOSTILE_TITLE = "Fix `rm -rf ~` and $(touch PWNED) #(touch PWNED2) [bold red]x[/] ;"


def ready_answer() -> dict[str, object]:
    return {
        "sources": [
            {"name": "town", "issues": [{"id": "hq-aaa11", "title": "Town chore", "priority": 3}]},
            {
                "name": "gastown",
                "issues": [
                    {"id": "gt-abc12", "title": HOSTILE_TITLE, "priority": 1, "issue_type": "bug"},
                    {"id": "gt-zzz99", "title": "Later", "priority": 4},
                ],
            },
        ],
        "summary": {"total": 3},
    }


def test_parse_ready_and_targets() -> None:
    beads = parse_ready(ready_answer())
    assert [b.id for b in beads] == ["gt-abc12", "hq-aaa11", "gt-zzz99"]
    assert parse_ready({"sources": "garbage"}) == [] and parse_ready([]) == []
    town = GasTown(
        rigs=[Rig("gastown")], agents=[Agent("gastown/nux", "nux", "polecat", rig="gastown")]
    )
    assert [t for t, _ in sling_targets(town)] == ["mayor", "gastown", "gastown/nux", "deacon/dogs"]
    assert sling_argv("gt-1", "gastown", "a b", "") == ["sling", "gt-1", "gastown", "--args", "a b"]
    assert sling_argv("gt-1", "gastown", "", "shiny") == [
        "sling",
        "shiny",
        "gastown",
        "--on",
        "gt-1",
    ]


def test_sling_from_the_picker_passes_hostile_text_as_argv(
    town: StandinTown, gas_town: TmuxServer, tmux: TmuxServer, screen: Screen, tmp_path: Path
) -> None:
    town.answer("ready", ready_answer())
    town.answer("sling", "Slung gt-abc12 to gastown/furiosa\n")
    run_in_pane(tmux, *env_line(town), GT_MCP, "sling")
    assert "gt-abc12" in screen.wait_for(lambda t: "gt-abc12" in t, timeout=20)
    assert "[bold red]x[/]" in screen.text()  # markup in a title is shown, not applied
    screen.keys("-l", "abc12")
    screen.keys("Enter")
    assert "sling gt-abc12 to" in screen.wait_for(lambda t: "sling gt-abc12 to" in t)
    screen.keys("-l", "furiosa")
    screen.keys("Enter")
    screen.wait_for(lambda t: "args (Enter to skip)" in t)
    args_text = 'say "hi"; $(touch PWNED3) #{pane_id}'
    screen.keys("-l", args_text)
    screen.keys("Enter")
    screen.wait_for(lambda t: "formula" in t)
    screen.keys("Enter")
    screen.wait_for(lambda t: "run it?" in t)
    screen.keys("y", "Enter")
    assert "gt exited 0" in screen.wait_for(lambda t: "gt exited 0" in t)
    calls = [
        json.loads(line)["argv"]
        for line in Path(os.environ["STANDIN_GT_LOG"]).read_text().splitlines()
    ]
    assert ["sling", "gt-abc12", "gastown/furiosa", "--args", args_text] in calls
    time.sleep(0.3)
    home = Path(os.environ["HOME"])
    assert not any(
        (place / name).exists()
        for place in (home, tmp_path, town.root)
        for name in ("PWNED", "PWNED2", "PWNED3")
    )


def test_sling_with_arguments_is_plain_passthrough(town: StandinTown) -> None:
    import subprocess

    subprocess.run(
        [GT_MCP, "sling", "gt-abc12", "gastown"], capture_output=True, check=False, timeout=30
    )
    calls = [
        json.loads(line)["argv"]
        for line in Path(os.environ["STANDIN_GT_LOG"]).read_text().splitlines()
    ]
    assert calls == [["sling", "gt-abc12", "gastown"]]


def picker_screen(
    town: StandinTown, tmux: TmuxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Screen:
    """A real client of the user's server, the plugin loaded on a snapshot of the town."""
    from gt_mcp_tmux.collector.cache import write_snapshot
    from gt_mcp_tmux.collector.once import collect_once
    from gt_mcp_tmux.config import load_settings

    saved = tmp_path / "snapshot.json"
    monkeypatch.setenv("GT_TOWN_ROOT", str(town.root))
    write_snapshot(collect_once(load_settings()[0]), saved)
    tmux.run("set-environment", "-g", "GT_MCP_SNAPSHOT", str(saved))
    tmux.run("set", "-g", "@gtmcp-python", sys.executable)
    tmux.load_plugin()
    return Screen(tmux, width=140, height=40)


def test_prefix_a_on_an_agent_without_a_session_says_so_and_leaves_the_pane_alone(
    town: StandinTown,
    gas_town: TmuxServer,
    tmux: TmuxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Enter on a stopped agent: one plain line in the popup (no error class), any key closes
    it, and the user's pane is as it was (not left showing tmux's failure text)."""
    view = picker_screen(town, tmux, tmp_path, monkeypatch)
    try:
        view.wait_for(lambda t: bool(t.strip()))
        view.keys("C-b", "a")
        view.wait_for(lambda t: "jump to" in t and "gastown/nux" in t, timeout=20)
        view.keys("-l", "nux")
        view.wait_for(lambda t: "1/7" in t)
        view.keys("Enter")
        text = view.wait_for(lambda t: "any key closes" in t, timeout=20)
        assert "gastown/nux has no live session to jump to" in text
        assert "Error" not in text
        view.keys("x")
        view.wait_for(lambda t: "any key closes" not in t)
        assert tmux.out("display-message", "-p", "-t", "main", "#{pane_in_mode}") == "0"
        assert "returned" not in view.text()
    finally:
        view.close()


def test_prefix_a_picks_an_agent_and_opens_it(
    town: StandinTown,
    gas_town: TmuxServer,
    tmux: TmuxServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The whole key path: Prefix+a, type to filter, Enter; the picker closes, the agent opens."""
    view = picker_screen(town, tmux, tmp_path, monkeypatch)
    try:
        view.wait_for(lambda t: bool(t.strip()))
        view.keys("C-b", "a")
        text = view.wait_for(  # a loaded machine may show the list half drawn for a moment
            lambda t: "jump to" in t and "gastown/furiosa" in t and "gastown/nux" in t, timeout=20
        )
        assert text.index("gastown/nux") < text.index("gastown/furiosa")  # most urgent first
        view.keys("-l", "furi")
        view.wait_for(lambda t: "1/7" in t)
        # the picker previews the highlighted agent's pane (peek), before any jump
        text = view.wait_for(lambda t: "jump to" in t and "I AM GT-FURIOSA" in t, timeout=10)
        assert "its pane" in text
        view.keys("Enter")
        # the preview shows furiosa's text too: the jump is when the picker has gone
        text = view.wait_for(lambda t: "I AM GT-FURIOSA" in t and "jump to" not in t, timeout=20)
        assert "I AM GT-FURIOSA" in text and "jump to" not in text
        view.keys("C-b", "d")
        assert "I AM GT-FURIOSA" not in view.wait_for(lambda t: "I AM GT-FURIOSA" not in t)
        view.keys("C-b", "S")
        town.answer("ready", ready_answer())
        text = view.wait_for(lambda t: "sling which bead" in t or "ready" in t, timeout=20)
        assert "sling which bead" in text and "gt-abc12" in text
        view.keys("Escape")
        assert "sling which bead" not in view.wait_for(lambda t: "sling which bead" not in t)
    finally:
        view.close()


def test_a_window_named_after_a_hostile_session_runs_nothing(
    tmux: TmuxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tmux expands formats in `new-window -n`: the session name must arrive escaped."""
    marker = tmp_path / "pwned"
    session = f"gt-#(touch {marker})"
    monkeypatch.setenv("TMUX", tmux.out("display-message", "-p", "#{socket_path}") + ",1,0")
    argv = go_argv("gt-abc123", session, "window", None)
    assert argv[:2] == ["tmux", "new-window"] and argv[argv.index("-n") + 1].startswith(
        "gt-##(touch"
    )
    name = argv[argv.index("-n") + 1]
    tmux.run("new-window", "-d", "-n", name, "--", "sleep", "5")  # that name, a harmless command
    time.sleep(0.5)
    assert not marker.exists()
    names = tmux.out("list-windows", "-F", "#{window_name}").split("\n")
    assert any(n.startswith("gt-#(touch") for n in names), names


def test_a_towns_and_a_citys_mayor_are_told_apart_in_the_picker() -> None:
    from gt_mcp_tmux.model import Agent
    from gt_mcp_tmux.render.choices import agent_choices
    from gt_mcp_tmux.ui.picker import filter_choices

    town_mayor = Agent("mayor/", "mayor", "coordinator", session="hq-mayor")
    city_mayor = Agent("mayor", "mayor", "coordinator", session="mayor")
    choices = agent_choices([town_mayor, city_mayor], [False, True])
    labels = [c.label.plain for c in choices]
    assert "▦ mayor" in labels[1] and "▦" not in labels[0]
    assert [c.value for c in filter_choices(choices, "city mayor")] == [city_mayor]
    assert [c.value for c in filter_choices(choices, "mayor")] == [town_mayor, city_mayor]
