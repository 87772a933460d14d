"""The collector's persistent tmux control-mode clients: its tmux calls without a fork each,
answered exactly as a forked `tmux` answers, never counted as somebody looking, never resizing a
window, and falling back to forks (then connecting again) when the server goes away."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator

import pytest

from gt_mcp_tmux.collector.bell import CLIENT_FORMAT, parse_clients
from gt_mcp_tmux.collector.loop import Collector
from gt_mcp_tmux.collector.push import OptionPusher
from gt_mcp_tmux.sources.gastown.tmux_server import GtTmuxServer
from gt_mcp_tmux.sources.tmux import control
from gt_mcp_tmux.sources.tmux.control import ControlClient, command_line
from gt_mcp_tmux.sources.tmux.runner import run_tmux
from gt_mcp_tmux.sources.tmux.sessions import list_sessions
from tests.counting import counting
from tests.harness import TmuxServer
from tests.townkit import StandinTown

pytestmark = pytest.mark.integration

#: Values a status string or an agent's name can hold: tmux's quoting, formats, separators.
TRICKY = [
    "plain",
    "two words",
    "q\"u'o`te",
    "$HOME ~user ${X}",
    "#{session_name} #[fg=red]#(date)",
    "sep\x1fafter",
    "ünïcode ⛽ 12",
    "ends with;",
    "escaped\\;",
    "back\\slash\\",
    "tab\tin",
    "",
]


@pytest.fixture(autouse=True)
def no_clients_left() -> Iterator[None]:
    yield
    control.close_all()


def path_of(server: TmuxServer) -> str:
    return server.out("display-message", "-p", "#{socket_path}")


def test_a_command_line_is_tmux_argv_quoted() -> None:
    assert command_line(["set", "-g", "@a", "x y", ";", "show", "-gv", "@a"]) == (
        'set -g @a "x y" ; show -gv @a',
        2,
    )
    assert command_line(["display", "-p", "a;"]) == ("display -p a", 1)  # `;` ends it, as argv
    assert command_line(["display", "-p", "a\\;"]) == ('display -p "a;"', 1)
    assert command_line(["display", "-p", "$x\n"]) == ('display -p "\\$x\\012"', 1)


def test_values_arrive_as_a_forked_tmux_would_store_them(tmux: TmuxServer) -> None:
    path = path_of(tmux)
    control.enable(path)
    pusher = OptionPusher(["-S", path])
    with counting() as counts:
        assert pusher.push({f"@v{i}": value for i, value in enumerate(TRICKY)})
        assert pusher.push({f"@v{i}": value + "!" for i, value in enumerate(TRICKY)})
    assert len(counts.tmux_calls()) == 1  # the client's one start; both pushes through it
    for i, value in enumerate(TRICKY):
        subprocess.run(["tmux", "-u", "-S", path, "set", "-gq", f"@w{i}", value + "!"], check=True)
        assert tmux.option(f"@v{i}") == tmux.option(f"@w{i}"), value


def test_answers_and_errors_are_a_forked_tmuxs(tmux: TmuxServer) -> None:
    path = path_of(tmux)
    control.enable(path)
    args = ["-S", path, "display-message", "-p", "#{session_name}\nline two", ";", "show", "-t"]
    forked = subprocess.run(
        ["tmux", "-u", *args, "nosuch", ";", "display", "-p", "not reached"],
        capture_output=True,
        text=True,
    )
    with counting() as counts:
        for _ in range(20):
            done = run_tmux([*args, "nosuch", ";", "display", "-p", "not reached"])
            assert done is not None
            assert (done.returncode != 0, done.stdout, done.stderr) == (
                True,
                forked.stdout,
                forked.stderr,
            )
    assert len(counts.tmux_calls()) == 1
    assert control.counts() == (1, 20)


def test_the_client_looks_at_nothing_and_resizes_nothing(tmux: TmuxServer) -> None:
    """Attached to `main` (200x50): the window keeps its size, the session counts nobody
    attached in our listings, and tmux itself lists the client as seeing no output."""
    path = path_of(tmux)
    tmux.run("set", "-g", "window-size", "latest")
    control.enable(path)
    assert run_tmux(["-S", path, "display-message", "-p", "x"]) is not None
    assert control.counts()[0] == 1
    assert tmux.out("list-panes", "-a", "-F", "#{window_width}x#{window_height}") == "200x50"
    assert tmux.out("list-sessions", "-F", "#{session_attached}") == "1"  # tmux's own count
    listed = tmux.out("list-clients", "-F", "#{client_flags}")
    assert "control-mode" in listed and "no-output" in listed and "ignore-size" in listed
    assert [s.attached for s in list_sessions(["-S", path]).sessions] == [0]
    view = GtTmuxServer(os.path.basename(path)).look()
    assert [s.attached for s in view.sessions] == [0]


def test_no_message_or_bell_is_for_the_client(tmux: TmuxServer, screen: object) -> None:
    """The clients an alert is told to and rung at: the person's, never the watching one."""
    path = path_of(tmux)
    control.enable(path)
    listed = run_tmux(["-S", path, "list-clients", "-F", CLIENT_FORMAT])
    assert listed is not None and listed.stdout.count("\n") == 2  # both clients have a line
    clients = parse_clients(listed.stdout)
    assert len(clients) == 1 and not clients[0].control


def test_the_client_sits_on_the_oldest_session(tmux: TmuxServer) -> None:
    """tmux would attach it to the newest (a polecat, gone soon: the client with it)."""
    for name in ("newer", "newest"):
        tmux.run("new-session", "-d", "-s", name)
    path = path_of(tmux)
    control.enable(path)
    assert run_tmux(["-S", path, "display-message", "-p", "x"]) is not None
    assert tmux.out("list-clients", "-F", "#{client_session}") == "main"


def test_a_person_attached_still_counts(tmux: TmuxServer, screen: object) -> None:
    path = path_of(tmux)
    control.enable(path)
    run_tmux(["-S", path, "display-message", "-p", "x"])
    assert [s.attached for s in list_sessions(["-S", path]).sessions] == [1]
    assert tmux.out("list-sessions", "-F", "#{session_attached}") == "2"


def test_a_server_gone_falls_back_to_forks_then_connects_again() -> None:
    server = TmuxServer(f"gtmcp-ctl-{os.getpid()}")
    server.run("-f", "/dev/null", "new-session", "-d", "-s", "a")
    path = path_of(server)
    clock = [0.0]
    client = ControlClient(path, retry_after=10, clock=lambda: clock[0])
    # (long limits where an answer is expected: a loaded machine must not fail the test)
    try:
        assert client.run(["display-message", "-p", "one"], timeout=10) is not None
        server.kill()
        assert client.run(["display-message", "-p", "two"]) is None  # the caller forks
        assert not client.connected
        server.run("-f", "/dev/null", "new-session", "-d", "-s", "b")
        with counting() as counts:
            assert client.run(["display-message", "-p", "three"]) is None  # not yet again
        assert counts.execs == [] and client.connects == 1
        clock[0] += 10
        done = client.run(["display-message", "-p", "#{session_name}"], timeout=10)
        assert done is not None and done.stdout == "b\n" and client.connects == 2
        server.run("new-session", "-d", "-s", "c")
        server.run("kill-session", "-t", "b")  # its session gone: the client is detached
        assert client.run(["display-message", "-p", "x"]) is None
        clock[0] += 10
        done = client.run(["display-message", "-p", "#{session_name}"], timeout=10)
        assert done is not None and done.stdout == "c\n" and client.connects == 3
    finally:
        client.close()
        server.kill()


def test_a_hung_server_never_holds_the_caller(tmux: TmuxServer) -> None:
    """A stopped server answers nothing: the call gives up at its limit and says so (None: the
    caller's fork is bounded too), and the client is closed, not left half-read."""
    path = path_of(tmux)
    client = ControlClient(path, retry_after=0)
    pid = int(tmux.out("display-message", "-p", "#{pid}"))
    try:
        assert client.run(["display-message", "-p", "x"]) is not None
        os.kill(pid, signal.SIGSTOP)
        try:
            assert client.run(["display-message", "-p", "y"], timeout=0.5) is None
            assert not client.connected
        finally:
            os.kill(pid, signal.SIGCONT)
        done = client.run(["display-message", "-p", "z"])
        assert done is not None and done.stdout == "z\n"
    finally:
        client.close()


def test_a_collector_forks_nothing_when_nothing_changed(
    tmux: TmuxServer,
    town: StandinTown,
    gastown_tmux: TmuxServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Its cycles (Gas Town's server looked at, the bar pushed) after the two clients started:
    no process at all, and no push while nothing changed."""
    monkeypatch.setenv("GT_TOWN_ROOT", str(town.root))
    path = path_of(tmux)
    control.enable(path)
    collector = Collector(path, None)
    collector.cycle()
    collector.reader.refresh_status(fast=True)
    collector.reader.refresh_convoys()
    for _ in range(collector.settings.alert_hold + 2):  # the alerts held that long have fired
        collector.cycle()
    assert collector.reader.tmux_calls > 0  # type: ignore[attr-defined]
    pushes = collector.pusher.pushes
    with counting() as counts:
        for _ in range(10):
            collector.cycle()
    assert counts.execs == []
    assert collector.pusher.pushes == pushes
    assert control.counts()[0] == 2  # one client on the user's server, one on Gas Town's
    gastown_tmux.run("new-session", "-d", "-s", "gt-newcomer")
    with counting() as counts:
        collector.cycle()
    assert counts.execs == [] and collector.pusher.pushes == pushes + 1  # a change: one push


@pytest.fixture
def gastown_tmux(town: StandinTown) -> Iterator[TmuxServer]:
    server = TmuxServer(town.socket)
    server.run("-f", "/dev/null", "new-session", "-d", "-s", "hq-mayor")
    server.run("new-session", "-d", "-s", "gt-furiosa")
    yield server
    server.kill()
