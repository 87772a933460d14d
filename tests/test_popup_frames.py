"""The popups' pre-rendered first frames (ui/frames.py, scripts/popup.sh), through a real tmux
server and a real client: the frame is `cat`ed before any Python runs, the view takes over and
repaints a frame that is out of date, a missing frame means a live paint, the collector's trigger
renders again only when the cache changed and a client is attached, and no escape sequence from
an agent's text reaches the terminal."""

from __future__ import annotations

import dataclasses
import os
import re
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gt_mcp_tmux.collector.cache import frames_dir, write_snapshot
from gt_mcp_tmux.collector.frames_trigger import FrameTrigger
from gt_mcp_tmux.model import Agent, Snapshot
from gt_mcp_tmux.render.frame_text import printed_frame, safe_ansi
from gt_mcp_tmux.ui.frames import FRAMES_OPTION, popup_inner_size
from tests.harness import Screen, TmuxServer
from tests.test_popups import closed, fresh, has, saved
from tests.viewkit import busy_town, hostile_town
from tests.waiting import retry_until

pytestmark = pytest.mark.integration

#: Every escape sequence but SGR, and every control character but newline.
NOT_SGR = re.compile(r"\x1b(?!\[[0-9;]*m)|[\x00-\x09\x0b-\x1a\x1c-\x1f\x7f-\x9f]")


def plain(frame: str) -> str:
    """A frame's text without its colours."""
    return re.sub(r"\x1b\[[0-9;]*m", "", frame)


def client_size(tmux: TmuxServer) -> tuple[int, int]:
    width, height = tmux.out("list-clients", "-F", "#{client_width} #{client_height}").split()
    return int(width), int(height)


def stand_in_python(tmp_path: Path) -> tuple[Path, Path]:
    """A `python` that only notes how a popup ran it (its arguments, its terminal's size) and
    waits for a key: what the screen shows meanwhile is the frame `cat` painted. Anything but a
    popup (the plugin starting its collector) exits at once."""
    log = tmp_path / "runs.log"
    stub = tmp_path / "python"
    stub.write_text(
        "#!/bin/sh\n"
        'case " $* " in *" --popup "*) ;; *) exit 0 ;; esac\n'
        f'printf "%s\\n" "$*" >> "{log}"\n'
        f'stty size >> "{log}"\n'
        "stty -icanon -echo; head -c 1 >/dev/null\n"
    )
    stub.chmod(0o755)
    return stub, log


def loaded_with(tmux: TmuxServer, python: Path, snapshot_file: Path) -> None:
    """The plugin loaded with the stand-in as its Python: no collector starts (nor renders)."""
    tmux.run("set", "-g", "@gtmcp-python", str(python))
    tmux.run("set-environment", "-g", "GT_MCP_SNAPSHOT", str(snapshot_file))
    tmux.load_plugin()


def sentinel_frame(folder: Path, view: str, size: tuple[int, int], text: str) -> Path:
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / f"{view}-{size[0]}x{size[1]}.ansi"
    path.write_text(printed_frame(size[0], size[1], text))
    return path


def test_prefix_g_cats_the_frame_before_any_python(
    tmux: TmuxServer, screen: Screen, tmp_path: Path
) -> None:
    """The frame for this client's popup size is on screen while the view has not even started;
    the popup's terminal is the size the frame was named for."""
    stub, log = stand_in_python(tmp_path)
    loaded_with(tmux, stub, saved(busy_town(), tmp_path))
    size = popup_inner_size(*client_size(tmux), "80%")
    folder = tmp_path / "frames"
    sentinel_frame(folder, "quick", size, "FRAME-SENTINEL painted by cat")
    tmux.run("set", "-g", FRAMES_OPTION, str(folder))
    screen.keys("C-b", "g")
    text = screen.wait_for(has("FRAME-SENTINEL"))
    assert "FRAME-SENTINEL painted by cat" in text
    retry_until(lambda: log.exists() and len(log.read_text().splitlines()) >= 2, 10)
    argv, tty_size = log.read_text().splitlines()[:2]
    assert argv.endswith(f"--frame={folder}/quick-{size[0]}x{size[1]}.ansi")
    assert "status --popup --client " in argv  # the client, for `n` (go to the queue's first)
    assert tty_size == f"{size[1]} {size[0]}", "popup.sh and tmux agree on the popup's size"
    screen.keys("x")
    assert closed(screen.wait_for(closed))


def test_no_frame_means_the_view_runs_at_once(
    tmux: TmuxServer, screen: Screen, tmp_path: Path
) -> None:
    stub, log = stand_in_python(tmp_path)
    loaded_with(tmux, stub, saved(busy_town(), tmp_path))
    tmux.run("set", "-g", FRAMES_OPTION, str(tmp_path / "no-frames-here"))
    for n, key in enumerate(("g", "G", "m", "b"), 1):
        screen.keys("C-b", key)
        retry_until(lambda n=n: log.exists() and log.read_text().count("--popup") == n, 10)  # type: ignore[misc]
        screen.keys("x")
        screen.wait_for(closed)
    runs = [line for line in log.read_text().splitlines() if "--popup" in line]
    assert len(runs) == 4 and not any("--frame" in line for line in runs), runs


def test_a_stale_frame_is_repainted_and_the_live_one_kept_for_next_time(
    tmux: TmuxServer, screen: Screen, tmp_path: Path
) -> None:
    """An out-of-date frame shows only until the view starts: it repaints the live screen and
    keeps it as the frame, and names its folder to tmux; the next Prefix+g cats that. (No
    collector runs here: only the popups write frames.)"""
    stub, log = stand_in_python(tmp_path)
    loaded_with(tmux, stub, saved(busy_town(), tmp_path))
    tmux.run("set", "-g", "@gtmcp-python", sys.executable)
    size = popup_inner_size(*client_size(tmux), "80%")
    old = tmp_path / "old-frames"
    sentinel_frame(old, "quick", size, "FRAME-SENTINEL from an older snapshot")
    tmux.run("set", "-g", FRAMES_OPTION, str(old))
    screen.keys("C-b", "g")
    text = screen.wait_for(has("need attention", "any key closes"))
    assert "FRAME-SENTINEL" not in text
    folder = frames_dir(tmp_path / "snapshot.json")
    retry_until(lambda: tmux.option(FRAMES_OPTION) == str(folder), 10)
    kept = folder / f"quick-{size[0]}x{size[1]}.ansi"
    assert "Agents 10, 3 need attention" in plain(kept.read_text())
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    screen.keys("Down")  # the view itself runs (a frame alone would not scroll)
    assert "q close" in screen.wait_for(has("q close"))
    screen.keys("q")
    screen.wait_for(closed)
    # the next press is painted by cat from that frame (a stand-in Python proves no view ran yet)
    tmux.run("set", "-g", "@gtmcp-python", str(stub))
    screen.keys("C-b", "g")
    text = screen.wait_for(has("need attention"))
    assert "Agents 10, 3 need attention" in text
    retry_until(lambda: log.exists() and "--frame=" in log.read_text(), 10)
    screen.keys("x")
    assert closed(screen.wait_for(closed))


def test_every_view_keeps_its_first_screen_and_takes_over_from_it(
    tmux: TmuxServer, screen: Screen, tmp_path: Path
) -> None:
    """Each view's first press paints live and keeps its first screen as the frame; the second
    is painted from it, and the view runs on under it (it answers keys)."""
    stub, _ = stand_in_python(tmp_path)
    loaded_with(tmux, stub, saved(busy_town(), tmp_path))  # no collector: only popups write
    tmux.run("set", "-g", "@gtmcp-python", sys.executable)
    folder = frames_dir(tmp_path / "snapshot.json")
    width, height = client_size(tmux)
    views: list[tuple[str, str, str, str, str | None, str]] = [
        ("g", "quick", "80%", "need attention", "Down", "q close"),
        ("G", "dashboard", "90%", "Agents 10", "Tab", "┏━ ▸ Convoys"),
        ("m", "mail", "80%", "Agent Mail up", "Down", "lines 2-"),
        ("b", "bridge", "80%", "detecting…", None, "agent mail"),  # the detection came in
    ]
    for key, view, percent, shown, press, answer in views:
        size = popup_inner_size(width, height, percent)
        path = folder / f"{view}-{size[0]}x{size[1]}.ansi"
        assert not path.exists()
        screen.keys("C-b", key)
        screen.wait_for(has(shown))
        retry_until(path.exists, 10)
        assert shown in plain(path.read_text())
        if view != "quick":
            assert len(path.read_text().split("\n")) == size[1], "a full screen, no scrolling"
        screen.keys("q")
        screen.wait_for(closed)
        screen.keys("C-b", key)
        screen.wait_for(has(shown))
        if press:
            screen.keys(press)
        assert answer in screen.wait_for(has(answer)), (view, "the view took over")
        screen.keys("q")
        assert closed(screen.wait_for(closed))


def _renamed(snapshot: Snapshot, name: str) -> Snapshot:
    agent = Agent(f"gastown/{name}", name, "polecat", rig="gastown", running=True, status="stuck")
    return dataclasses.replace(
        snapshot, gastown=dataclasses.replace(snapshot.gastown, agents=[agent])
    )


def test_the_collector_renders_again_only_when_the_cache_changed_and_a_client_looks(
    tmux: TmuxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The trigger the collector's loop calls each cycle: no client, no renderer (and no frame);
    a client: one renderer, frames at its sizes; unchanged data: none more; changed: a new
    frame, which the next Prefix+g paints."""
    snapshot_file = tmp_path / "snapshot.json"
    write_snapshot(fresh(_renamed(busy_town(), "first-agent")), snapshot_file)
    monkeypatch.setenv("GT_MCP_SNAPSHOT", str(snapshot_file))
    tmux.run("set", "-g", "@gtmcp-python", sys.executable)
    tmux.run("set-environment", "-g", "GT_MCP_SNAPSHOT", str(snapshot_file))
    socket = tmux.out("display", "-p", "#{socket_path}")
    trigger = FrameTrigger(socket, every=0.0)
    trigger.offer(False, time.monotonic())
    assert trigger.starts == 0 and trigger.process is None  # nobody attached
    screen = Screen(tmux)
    try:
        screen.wait_for(lambda text: bool(text.strip()))
        size = popup_inner_size(*client_size(tmux), "80%")
        frame = frames_dir(snapshot_file) / f"quick-{size[0]}x{size[1]}.ansi"

        def settle() -> None:
            trigger.offer(False, time.monotonic())
            assert trigger.process is not None
            assert trigger.process.wait(timeout=60) == 0
            trigger.offer(False, time.monotonic())

        settle()
        assert trigger.starts == 1
        assert "gastown/first-agent" in plain(frame.read_text())
        assert tmux.option(FRAMES_OPTION) == str(frame.parent)
        for _ in range(3):
            trigger.offer(False, time.monotonic())
        assert trigger.starts == 1 and trigger.process is None, "unchanged: no renderer"
        write_snapshot(fresh(_renamed(busy_town(), "second-agent")), snapshot_file)
        trigger.offer(True, time.monotonic())
        assert trigger.starts == 2
        assert trigger.process is not None and trigger.process.wait(timeout=60) == 0
        assert "gastown/second-agent" in plain(frame.read_text())
        assert "first-agent" not in plain(frame.read_text())
        stub, _ = stand_in_python(tmp_path)
        tmux.run("set", "-g", "@gtmcp-python", str(stub))  # no collector: only the trigger renders
        tmux.load_plugin()
        screen.keys("C-b", "g")
        assert "gastown/second-agent" in screen.wait_for(has("gastown/second-agent"))
        screen.keys("x")
        screen.wait_for(closed)
    finally:
        trigger.stop()
        screen.close()


def test_a_renderer_past_its_time_is_killed(tmp_path: Path, tmux: TmuxServer) -> None:
    """Bounded: a renderer that hangs is killed (its whole group) when the next offer finds it
    past the limit."""
    import subprocess

    from gt_mcp_tmux.collector import frames_trigger

    trigger = FrameTrigger(tmux.out("display", "-p", "#{socket_path}"))
    trigger.process = subprocess.Popen(["sleep", "60"], start_new_session=True)
    trigger.started_at = time.monotonic() - frames_trigger.LIMIT - 1
    pid = trigger.process.pid
    trigger.offer(False, time.monotonic())
    assert trigger.process is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_a_costly_renderer_waits_longer_for_the_next(tmp_path: Path, tmux: TmuxServer) -> None:
    """The renderers stay within their share of a core: a run's CPU, measured when it is
    reaped, sets the pause before the next (cost / SHARE, at most MOST_EVERY)."""
    import subprocess

    from gt_mcp_tmux.collector import frames_trigger

    trigger = FrameTrigger(tmux.out("display", "-p", "#{socket_path}"))
    burn = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass"
    trigger.process = subprocess.Popen([sys.executable, "-c", burn])
    trigger.started_at = started = time.monotonic()
    while trigger.process is not None:
        trigger.offer(False, time.monotonic())
        time.sleep(0.05)
    assert trigger.cost >= 0.3
    wanted = min(trigger.cost / frames_trigger.SHARE, frames_trigger.MOST_EVERY)
    assert trigger.next_at >= started + wanted > started + frames_trigger.EVERY
    trigger.offer(True, time.monotonic())  # changed, a client or not: not before its turn
    assert trigger.process is None and trigger.starts == 0


def test_hostile_text_in_a_frame_is_shown_not_run(
    tmux: TmuxServer, screen: Screen, tmp_path: Path, isolated_home: Path
) -> None:
    """The renderer's frames of a hostile town carry no escape but SGR; cat paints them and
    the names show literally (nothing from them is run)."""
    pwned = Path("/tmp/gtmcp-pwned")
    if pwned.exists():
        pwned.unlink()
    snapshot_file = saved(hostile_town(), tmp_path)
    env_before = os.environ.get("GT_MCP_SNAPSHOT")
    os.environ["GT_MCP_SNAPSHOT"] = str(snapshot_file)
    try:
        from gt_mcp_tmux.config import load_settings
        from gt_mcp_tmux.ui.frames import render_frames

        settings, _ = load_settings(tmux_values={}, strict=False)
        written = render_frames([client_size(tmux)], settings)
    finally:
        if env_before is None:
            os.environ.pop("GT_MCP_SNAPSHOT")
        else:
            os.environ["GT_MCP_SNAPSHOT"] = env_before
    assert {path.name.split("-")[0] for path in written} == {"quick", "mail", "bridge", "dashboard"}
    for path in written:
        assert not NOT_SGR.search(path.read_text().replace("\n", "")), path.name
    stub, _ = stand_in_python(tmp_path)
    loaded_with(tmux, stub, snapshot_file)
    tmux.run("set", "-g", FRAMES_OPTION, str(written[0].parent))
    screen.keys("C-b", "g")
    text = screen.wait_for(has("ESTOP"))
    assert "#(touch /tmp/gtmcp-pwned)" in text and "[bold red]x[/]" in text
    screen.keys("x")
    assert closed(screen.wait_for(closed))
    assert not pwned.exists()


def test_only_sgr_passes_into_a_frame() -> None:
    """Whatever reached the frame text (a view that forgot `literal`): cursor moves, clears,
    titles (OSC), tmux passthrough (DCS), C1 controls and bells are dropped; colours stay."""
    from rich.text import Text

    hostile = (
        "a\x1b[2Jb\x1b]0;title\x07c\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\d\x9b2Je\x07f"
        "\x1b[31mred\x1b[0m\x1b7g\x1b"
    )
    assert safe_ansi(hostile) == "abcde" + "f\x1b[31mred\x1b[0mg"
    frame = printed_frame(40, 3, Text("x\x1b[1;1Hy\x1b]8;;http://e\x1b\\z"))
    assert not NOT_SGR.search(frame.replace("\n", ""))
    assert "x" in frame and "y" in frame and "z" in frame


def test_a_key_press_asks_tmux_nothing_before_the_popup(
    tmux: TmuxServer, screen: Screen, tmp_path: Path
) -> None:
    """What popup.sh needs comes expanded with the key: the one tmux client it starts is the
    popup itself (counted through a `tmux` that notes each run)."""
    stub, log = stand_in_python(tmp_path)
    loaded_with(tmux, stub, saved(busy_town(), tmp_path))
    size = popup_inner_size(*client_size(tmux), "80%")
    folder = tmp_path / "frames"
    sentinel_frame(folder, "quick", size, "FRAME-SENTINEL")
    tmux.run("set", "-g", FRAMES_OPTION, str(folder))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "tmux-calls.log"
    real = subprocess.run(["sh", "-c", "command -v tmux"], capture_output=True, text=True)
    wrapper = bin_dir / "tmux"
    wrapper.write_text(f'#!/bin/sh\necho "$1" >> "{calls}"\nexec {real.stdout.strip()} "$@"\n')
    wrapper.chmod(0o755)
    path = tmux.out("show-environment", "-g", "PATH").partition("=")[2] or os.environ["PATH"]
    tmux.run("set-environment", "-g", "PATH", f"{bin_dir}:{path}")
    screen.keys("C-b", "g")
    screen.wait_for(has("FRAME-SENTINEL"))
    assert calls.read_text().split() == ["display-popup"]
    retry_until(lambda: log.exists() and "--frame=" in log.read_text(), 10)
    screen.keys("x")
    assert closed(screen.wait_for(closed))
