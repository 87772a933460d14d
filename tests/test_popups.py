"""The popups as a person uses them: a real client attached to a tmux server with the plugin
loaded, the prefix keys pressed, the screen read back (popups included), and each popup closed."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gt_mcp_tmux.collector.cache import read_snapshot, snapshot_path, write_snapshot
from gt_mcp_tmux.model import Agent, Snapshot
from tests.harness import Screen, TmuxServer
from tests.townkit import StandinTown
from tests.viewkit import busy_town, hostile_town
from tests.waiting import retry_until

pytestmark = pytest.mark.integration


def fresh(snapshot: Snapshot) -> Snapshot:
    """The same snapshot, collected now (so no stale marker shows)."""
    import dataclasses

    return dataclasses.replace(snapshot, collected_at=time.time())


def loaded(tmux: TmuxServer, snapshot_file: Path | None, **options: str) -> None:
    """Load the plugin into the server the way a user's config would."""
    tmux.run("set", "-g", "@gtmcp-python", sys.executable)
    for name, value in options.items():
        tmux.run("set", "-g", name, value)
    if snapshot_file is not None:
        tmux.run("set-environment", "-g", "GT_MCP_SNAPSHOT", str(snapshot_file))
    tmux.load_plugin()


@pytest.fixture
def big_screen(tmux: TmuxServer) -> Iterator[Screen]:
    view = Screen(tmux, width=140, height=45)
    view.wait_for(lambda text: bool(text.strip()))
    yield view
    view.close()


def saved(snapshot: Snapshot, tmp_path: Path) -> Path:
    path = tmp_path / "snapshot.json"
    write_snapshot(fresh(snapshot), path)
    return path


def has(*words: str) -> Callable[[str], bool]:
    return lambda text: all(word in text for word in words)


def lacks(*words: str) -> Callable[[str], bool]:
    return lambda text: not any(word in text for word in words)


#: The popup's frame (its title in the top border): gone only once the popup itself closed.
FRAME = "┌─ gastown-mcp "
closed = lacks(FRAME)


def test_quick_status_shows_the_fleet_and_closes_on_any_key(
    tmux: TmuxServer, screen: Screen, tmp_path: Path
) -> None:
    path = saved(busy_town(), tmp_path)
    loaded(tmux, path)
    screen.keys("C-b", "g")
    text = screen.wait_for(has("gastown-mcp", "any key closes", "Convoys"))
    assert "Agents 10, 3 need attention" in text
    collected = read_snapshot(path)
    assert collected is not None
    clock = time.strftime("%H:%M:%S", time.localtime(collected.collected_at))
    # painted once: it says when the data is from, not an age that would stay frozen
    assert f"as of {clock}" in text and "updated" not in text
    lines = text.splitlines()
    order = [
        next(i for i, line in enumerate(lines) if name in line)
        for name in ("gastown/nux", "gastown/slit", "deacon ", "mayor ")
    ]
    assert order == sorted(order), "stuck and dead agents come first"
    assert "Deploy v2.0" in text and "3/5" in text
    assert "⚔ home-me-gt-gastown: GreenCastle src/** ⇄ BlueLake src/api.py" in text
    screen.keys("x")
    assert closed(screen.wait_for(closed))


def test_quick_status_shows_what_fits_and_scrolls_to_every_agent(
    tmux: TmuxServer, screen: Screen, tmp_path: Path
) -> None:
    """30 agents: as many as fit, most urgent first; ↓ turns it into a scrolling view of all."""
    snapshot = busy_town()
    many = [
        Agent(f"r/p{i:02d}", f"p{i:02d}", "polecat", rig="r", running=True, status="working")
        for i in range(30)
    ]
    snapshot = dataclasses.replace(
        snapshot, gastown=dataclasses.replace(snapshot.gastown, agents=many)
    )
    loaded(tmux, saved(snapshot, tmp_path))
    screen.keys("C-b", "g")
    text = screen.wait_for(has("any key closes", "more"))
    assert "r/p00" in text and "r/p29" not in text and "more" in text
    screen.keys("Down")
    text = screen.wait_for(has("q close"))
    assert "updated" in text and "as of" not in text  # rebuilt every second: its age ticks
    screen.keys("End")
    text = screen.wait_for(has("r/p29"))
    assert "r/p29" in text  # every agent can be reached
    screen.keys("q")
    assert closed(screen.wait_for(closed))


def test_quick_status_paints_what_the_collector_cached(
    town: StandinTown, tmux: TmuxServer, screen: Screen
) -> None:
    """No saved file: the real collector of this server collects the stand-in town, the popup
    paints its cache."""
    tmux.run("set-environment", "-g", "GT_TOWN_ROOT", str(town.root))
    loaded(tmux, None)
    socket_path = tmux.out("display", "-p", "#{socket_path}")
    cache = snapshot_path(socket_path)

    def collected_agents(_: str) -> bool:
        snapshot = read_snapshot(cache)
        return snapshot is not None and bool(snapshot.gastown.agents)

    assert collected_agents(screen.wait_for(collected_agents, timeout=30)), "no agents collected"
    screen.keys("C-b", "g")
    text = screen.wait_for(has("any key closes", "gastown/furiosa"), timeout=15)
    assert "gastown/furiosa" in text and "Fix flaky test" in text, text
    screen.keys("Enter")
    assert closed(screen.wait_for(closed))


def test_dashboard_moves_between_panels_shows_a_session_and_quits(
    tmux: TmuxServer, big_screen: Screen, tmp_path: Path
) -> None:
    loaded(tmux, saved(busy_town(), tmp_path))
    big_screen.keys("C-b", "G")
    text = big_screen.wait_for(
        has("Agents 10", "Convoys 2 open", "Activity", "Agent Mail", "tmux sessions", "Host")
    )
    assert "q quit" in text
    assert "┏━ ▸ Agents" in text  # the focused panel has a heavy border
    big_screen.keys("Tab")
    text = big_screen.wait_for(has("┏━ ▸ Convoys"))
    assert "┏━ ▸ Convoys" in text and "┏━ ▸ Agents" not in text
    big_screen.keys("BTab", "Down", "Enter")
    text = big_screen.wait_for(has("session gt-slit"))
    assert "gastown/slit: session gt-slit" in text and "attach -t gt-slit" in text
    big_screen.keys("q")
    assert closed(big_screen.wait_for(closed))


def test_small_dashboard_shows_agents_and_the_focused_panel(
    tmux: TmuxServer, screen: Screen, tmp_path: Path
) -> None:
    loaded(tmux, saved(busy_town(), tmp_path))
    screen.keys("C-b", "G")
    screen.wait_for(has("Agents 10", "Convoys 2 open"))
    screen.keys("Right", "Right", "Right")
    text = screen.wait_for(has("┏━ ▸ Agent Mail"))
    assert "Agents 10" in text and "┏━ ▸ Agent Mail" in text and "Activity" not in text, text
    screen.keys("Escape")
    assert closed(screen.wait_for(closed))


def test_mail_popup_shows_projects_and_closes_on_q_and_esc(
    tmux: TmuxServer, big_screen: Screen, tmp_path: Path
) -> None:
    loaded(tmux, saved(busy_town(), tmp_path))
    for close in ("q", "Escape"):
        big_screen.keys("C-b", "m")
        text = big_screen.wait_for(has("Agent Mail up", "home-me-side", "q close"))
        assert "web UI http://127.0.0.1:8765/mail" in text, (close, text)
        assert "http://127.0.0.1:8765/mail/home-me-gt-gastown" in text
        assert "Who owns src/api.py?" in text and "GreenCastle" in text
        big_screen.keys(close)
        assert closed(big_screen.wait_for(closed))


def test_mail_popup_says_when_the_server_is_down(
    tmux: TmuxServer, screen: Screen, tmp_path: Path
) -> None:
    from tests.viewkit import quiet_town

    loaded(tmux, saved(quiet_town(), tmp_path))
    screen.keys("C-b", "m")
    text = screen.wait_for(has("Agent Mail is down", "q close"))
    assert "tried: http://127.0.0.1:8765/health/liveness" in text
    assert "serve-http" in text
    screen.keys("q")
    assert closed(screen.wait_for(closed))


def test_bridge_popup_shows_detection_links_and_collector(
    tmux: TmuxServer, big_screen: Screen, tmp_path: Path
) -> None:
    loaded(tmux, saved(busy_town(), tmp_path))
    big_screen.keys("C-b", "b")
    text = big_screen.wait_for(
        has("Detection", "agent mail", "Links", "Collector", "collector "), timeout=15
    )
    assert "home-me-gt-gastown" in text and "gastown/furiosa" in text
    assert "outside the town: home-me-side" in text
    big_screen.keys("q")
    assert closed(big_screen.wait_for(closed))


def test_hostile_names_are_shown_not_run(
    tmux: TmuxServer, screen: Screen, tmp_path: Path, isolated_home: Path
) -> None:
    pwned = Path("/tmp/gtmcp-pwned")
    if pwned.exists():
        pwned.unlink()
    trap = tmp_path / "#(touch ${HOME}-pwned-by-cwd)"
    trap.mkdir()
    tmux.run("send-keys", "-t", "main", f"cd '{trap}' && clear", "Enter")
    loaded(tmux, saved(hostile_town(), tmp_path))
    screen.keys("C-b", "g")
    text = screen.wait_for(has("any key closes", "ESTOP"))
    assert "#(touch /tmp/gtmcp-pwned)" in text and "[bold red]x[/]" in text
    assert "#[fg=red]red[/]" in text
    screen.keys("q")
    assert closed(screen.wait_for(closed))
    assert not pwned.exists()
    assert not Path(f"{isolated_home}-pwned-by-cwd").exists()


def test_keys_are_configurable_and_none_gives_mark_pane_back(tmux: TmuxServer) -> None:
    loaded(tmux, None)

    def bindings() -> dict[str, str]:
        lines = tmux.out("list-keys", "-T", "prefix").splitlines()
        return {line.split()[3]: " ".join(line.split()[4:]) for line in lines}

    assert "popup.sh mail" in bindings()["m"]
    loaded(tmux, None, **{"@gtmcp-key-mail": "none", "@gtmcp-key-quick": "F"})
    keys = bindings()
    assert keys["m"] == "select-pane -m"  # tmux's own mark-pane is back
    assert "popup.sh quick" in keys["F"]
    assert "g" not in keys
    assert "popup.sh dashboard" in keys["G"] and "popup.sh bridge" in keys["b"]


def prefix_bindings(tmux: TmuxServer) -> dict[str, str]:
    lines = tmux.out("list-keys", "-T", "prefix").splitlines()
    return {line.split()[3]: " ".join(line.split()[4:]) for line in lines}


def test_a_key_the_user_bound_is_not_taken_and_is_said(tmux: TmuxServer) -> None:
    """oh-my-tmux binds Prefix+b (buffers) and Prefix+m (mouse): a default key that is bound
    already stays the user's; tmux's stock mark-pane on m is taken, as documented."""
    tmux.run("bind-key", "-T", "prefix", "b", "list-buffers")
    loaded(tmux, None)
    keys = prefix_bindings(tmux)
    assert keys["b"] == "list-buffers"
    assert "popup.sh mail" in keys["m"] and "popup.sh quick" in keys["g"]
    assert tmux.option("@_gtmcp-skipped-keys").split() == ["b"]
    loaded(tmux, None)  # a reload changes nothing, and says nothing again
    assert prefix_bindings(tmux)["b"] == "list-buffers"
    socket = tmux.out("display-message", "-p", "#{socket_path}")
    found = subprocess.run(
        [str(Path(sys.executable).parent / "gt-mcp"), "detect", "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "TMUX": f"{socket},1,0"},
        timeout=30,
        check=True,
    )
    seen = json.loads(found.stdout)["tmux"]
    assert seen["skipped_keys"] == ["b"]
    assert any("Prefix+b" in hint and "@gtmcp-key-bridge" in hint for hint in seen["hints"])


def test_a_key_asked_for_is_taken_and_given_back_when_let_go(tmux: TmuxServer) -> None:
    tmux.run("bind-key", "-T", "prefix", "m", "set", "-g", "mouse")  # the user's own mouse toggle
    loaded(tmux, None)
    assert prefix_bindings(tmux)["m"] == "set-option -g mouse"  # not asked for: left alone
    loaded(tmux, None, **{"@gtmcp-key-mail": "m"})
    assert "popup.sh mail" in prefix_bindings(tmux)["m"]  # asked for: taken
    loaded(tmux, None, **{"@gtmcp-key-mail": "none"})
    assert prefix_bindings(tmux)["m"] == "set-option -g mouse"  # let go: the user's binding is back


def test_tmux_before_3_2_opens_a_window_instead(tmux: TmuxServer, tmp_path: Path) -> None:
    """A `tmux` that reports 3.1 (a wrapper around the real one): the view opens as a window."""
    real = shutil.which("tmux")
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "tmux").write_text(
        "#!/bin/sh\n"
        'if [ "$1" = display-message ]; then\n'
        f'  {real} "$@" | sed "1s/.*/3.1/"; exit 0\n'
        "fi\n"
        f'exec {real} "$@"\n'
    )
    (shim / "tmux").chmod(0o755)
    loaded(tmux, saved(busy_town(), tmp_path))
    tmux.run("set-environment", "-g", "PATH", f"{shim}:{os.environ['PATH']}")
    pane = tmux.out("display", "-p", "-t", "main", "#{pane_id}")
    popup = str(Path(__file__).resolve().parent.parent / "scripts" / "popup.sh")
    tmux.run("run-shell", f"{popup} mail '' {pane} /")
    windows = tmux.out("list-windows", "-t", "main", "-F", "#{window_name}")
    assert "gastown-mcp" in windows.splitlines()
    screen = Screen(tmux)
    try:
        text = screen.wait_for(has("Agent Mail up", "q close"))
        assert "home-me-gt-gastown" in text
        screen.keys("q")
        screen.wait_for(lacks("q close"))
    finally:
        screen.close()

    def closed() -> bool:
        names = tmux.out("list-windows", "-t", "main", "-F", "#{window_name}").splitlines()
        return "gastown-mcp" not in names

    assert retry_until(closed, 10, every=0.05), "the view's window closes with the view"
