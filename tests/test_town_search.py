"""With no town found, the collector searches every 10 s: stale sockets cost it no fork."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gt_mcp_tmux.collector.loop import Collector
from gt_mcp_tmux.sources.gastown.town import SocketScan, socket_answers, towns_from_tmux_servers
from tests.counting import counting
from tests.harness import TmuxServer
from tests.townkit import make_town
from tests.waiting import retry_until

pytestmark = pytest.mark.integration


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def socket_folder(tmux: TmuxServer) -> Path:
    return Path(tmux.out("display-message", "-p", "#{socket_path}")).parent


def stale_sockets(count: int) -> list[TmuxServer]:
    """`count` Gas Town-named servers started and killed: tmux leaves their socket files."""
    servers = [TmuxServer(f"stale{n:02d}-{n:06x}") for n in range(count)]
    for server in servers:
        server.run("-f", "/dev/null", "new-session", "-d", "-s", "hq-mayor")
        path = Path(server.out("display-message", "-p", "#{socket_path}"))
        server.kill()
        assert retry_until(lambda: not socket_answers(path))  # noqa: B023
    return servers


def asked(calls: list[list[str]], socket: Path) -> int:
    return sum(1 for argv in calls if str(socket) in argv)


def test_a_minute_without_a_town_forks_no_tmux_for_stale_sockets(tmux: TmuxServer) -> None:
    folder = socket_folder(tmux)
    stale = stale_sockets(20)
    assert all((folder / server.socket).exists() for server in stale)
    other = TmuxServer("notatown-abcdef")  # a live server named like Gas Town's, with no town
    other.run("-f", "/dev/null", "new-session", "-d", "-s", "work")
    try:
        collector = Collector(str(folder / tmux.socket), None)
        clock = Clock()
        collector.town_scan.clock = clock
        with counting() as counts:
            for _ in range(61):  # a minute of 1 s cycles
                collector._find_town(clock.now)
                collector._find_city(clock.now)
                clock.now += 1
        calls = counts.tmux_calls()
        assert collector.town is None
        assert all(asked(calls, folder / server.socket) == 0 for server in stale)
        assert asked(calls, folder / other.socket) == 3  # at 0, 10 and 30 s: a back-off
        own = [argv for argv in calls if str(folder / tmux.socket) in argv]
        assert len(own) == 7  # its environment every 10 s, one read for the town and the city
        assert len(calls) == 10, calls  # it was 7 * (1 + 21) + 7 = 161 before
    finally:
        other.kill()


def test_a_stale_socket_that_comes_alive_as_a_town_is_found_at_the_next_search(
    tmux: TmuxServer, tmp_path: Path
) -> None:
    folder = socket_folder(tmux)
    town = make_town(tmp_path, "latetown")
    stale = TmuxServer(town.socket)
    stale.run("-f", "/dev/null", "new-session", "-d", "-s", "hq-mayor")
    stale.kill()
    assert retry_until(lambda: not socket_answers(folder / town.socket))
    scan = SocketScan(clock=Clock())
    assert (folder / town.socket).exists()
    assert towns_from_tmux_servers(scan=scan) == []
    live = TmuxServer(town.socket)
    live.run("-f", "/dev/null", "new-session", "-d", "-s", "hq-mayor")
    try:
        live.run("set-environment", "-g", "GT_TOWN_ROOT", str(town.root))
        found = towns_from_tmux_servers(scan=scan)
        assert [(t.root, t.found_by) for t in found] == [(town.root, f"tmux:{town.socket}")]
    finally:
        live.kill()


def test_a_server_that_gets_its_town_later_is_found_after_the_back_off(
    tmux: TmuxServer, tmp_path: Path
) -> None:
    town = make_town(tmp_path, "slowtown")
    server = TmuxServer(town.socket)
    server.run("-f", "/dev/null", "new-session", "-d", "-s", "hq-mayor")
    clock = Clock()
    scan = SocketScan(first=10, longest=40, clock=clock)
    try:
        assert towns_from_tmux_servers(scan=scan) == []
        server.run("set-environment", "-g", "GT_TOWN_ROOT", str(town.root))
        clock.now += 9
        assert towns_from_tmux_servers(scan=scan) == []  # not asked again yet
        clock.now += 1
        assert [t.root for t in towns_from_tmux_servers(scan=scan)] == [town.root]
        # a new server under the same name is asked at once, whatever the back-off
        server.run("set-environment", "-gu", "GT_TOWN_ROOT")
        for _ in range(3):
            clock.now += 40
            assert towns_from_tmux_servers(scan=scan) == []
        path = socket_folder(tmux) / town.socket
        server.kill()
        assert retry_until(lambda: not socket_answers(path))  # the old server is gone
        subprocess.run(
            ["tmux", "-L", town.socket, "-f", "/dev/null", "new-session", "-d", "-s", "hq-mayor"],
            check=True,
        )
        server.run("set-environment", "-g", "GT_TOWN_ROOT", str(town.root))
        assert [t.root for t in towns_from_tmux_servers(scan=scan)] == [town.root]
    finally:
        server.kill()
