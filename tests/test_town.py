"""Finding the town and its tmux socket exactly as `gt` does."""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from pathlib import Path

import pytest

from gt_mcp_tmux.sources.gastown.town import find_town, find_town_above, socket_name_for
from tests.townkit import make_town


def test_reference_example_socket() -> None:
    digest = hashlib.sha256(b"/home/user/gt").hexdigest()[:6]
    assert socket_name_for(Path("/home/user/gt"), {}) == f"gt-{digest}" == "gt-c78608"


@pytest.mark.parametrize(
    ("folder", "base"),
    [
        ("My Town", "my-town"),
        ("  Gas__Town!! ", "gas-town"),
        ("ÜBER town", "ber-town"),
        ("---", "default"),
        ("☃", "default"),
        ("a.b.c", "a-b-c"),
    ],
)
def test_socket_name_sanitising(tmp_path: Path, folder: str, base: str) -> None:
    root = tmp_path / folder
    root.mkdir()
    real = os.path.realpath(root)
    expected = f"{base}-{hashlib.sha256(real.encode()).hexdigest()[:6]}"
    assert socket_name_for(root, {}) == expected


def test_socket_uses_real_path_through_symlinks(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    # as the real gt names it: the root as found (the link's own name), the real path's hash
    assert socket_name_for(link, {}) == "link-" + socket_name_for(real, {}).split("-")[-1]
    assert socket_name_for(real, {}).startswith("real-")


def test_a_town_found_through_a_symlinked_cwd_keeps_the_links_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    town = make_town(tmp_path, "real-town")
    link = tmp_path / "my-town"
    link.symlink_to(town.root)
    monkeypatch.chdir(link)
    monkeypatch.setenv("PWD", str(link))  # what a shell that did `cd ~/my-town` says
    found = find_town(environ={}, ask_tmux=False)
    assert found is not None and found.root == link
    assert socket_name_for(found.root, {}).startswith("my-town-")


def test_gt_root_of_a_gas_city_is_not_a_town(tmp_path: Path) -> None:
    """Gas City puts GT_ROOT=<city> in every city session; only a workspace counts."""
    city = tmp_path / "city"
    (city / ".gc").mkdir(parents=True)
    (city / "city.toml").write_text("[workspace]\nname = 'c'\n")
    nowhere = tmp_path / "nowhere"
    nowhere.mkdir()
    env = {"GT_ROOT": str(city), "GT_TOWN_ROOT": str(city), "HOME": str(tmp_path)}
    assert find_town(nowhere, env, ask_tmux=False) is None


@pytest.mark.parametrize("value", ["", "default", "auto"])
def test_auto_values_of_gt_tmux_socket_compute(tmp_path: Path, value: str) -> None:
    assert socket_name_for(tmp_path, {"GT_TMUX_SOCKET": value}) == socket_name_for(tmp_path, {})


def test_explicit_gt_tmux_socket_wins(tmp_path: Path) -> None:
    assert socket_name_for(tmp_path, {"GT_TMUX_SOCKET": "mine"}) == "mine"


def test_outermost_town_wins_from_nested_folders(tmp_path: Path) -> None:
    outer = make_town(tmp_path, "outer")
    inner = make_town(outer.root / "gastown" / "polecats", "nested")
    deep = inner.root / "a" / "b"
    deep.mkdir(parents=True)
    assert find_town_above(deep) == outer.root
    found = find_town(deep, environ={}, ask_tmux=False)
    assert found is not None and found.root == outer.root and found.found_by == "cwd"


def test_bare_mayor_folder_is_a_fallback(tmp_path: Path) -> None:
    (tmp_path / "t" / "mayor").mkdir(parents=True)
    assert find_town_above(tmp_path / "t") == tmp_path / "t"


def test_env_order_then_home_gt(tmp_path: Path) -> None:
    nowhere = tmp_path / "elsewhere"
    nowhere.mkdir()
    a, b = make_town(tmp_path, "a"), make_town(tmp_path, "b")
    env = {"GT_TOWN_ROOT": str(a.root), "GT_ROOT": str(b.root), "HOME": str(tmp_path)}
    assert find_town(nowhere, env, ask_tmux=False).found_by == "GT_TOWN_ROOT"  # type: ignore[union-attr]
    del env["GT_TOWN_ROOT"]
    assert find_town(nowhere, env, ask_tmux=False).root == b.root  # type: ignore[union-attr]
    del env["GT_ROOT"]
    assert find_town(nowhere, env, ask_tmux=False) is None
    make_town(tmp_path, "gt")
    found = find_town(nowhere, env, ask_tmux=False)
    assert found is not None and found.found_by == "~/gt"


def test_configured_root_comes_first(tmp_path: Path) -> None:
    a = make_town(tmp_path, "a")
    found = find_town(a.root, {}, configured=str(tmp_path / "other"), ask_tmux=False)
    assert found is not None and found.found_by == "config"


def test_town_from_gas_towns_tmux_global_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daemon puts GT_TOWN_ROOT into its server's global env: a lost shell can find it there."""
    town = make_town(tmp_path, "Far Town")
    socket = town.socket
    monkeypatch.setenv("TMUX_TMPDIR", str(tmp_path / "tmuxdir"))
    (tmp_path / "tmuxdir").mkdir()
    subprocess.run(
        ["tmux", "-L", socket, "-f", "/dev/null", "new-session", "-d", "-s", "hq-mayor"], check=True
    )
    try:
        subprocess.run(
            ["tmux", "-L", socket, "set-environment", "-g", "GT_TOWN_ROOT", str(town.root)],
            check=True,
        )
        nowhere = tmp_path / "nowhere"
        nowhere.mkdir()
        found = find_town(nowhere, {"HOME": str(tmp_path)})
        assert found is not None and found.root == town.root and found.found_by == f"tmux:{socket}"
        assert found.others == ()
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], check=False)


def test_with_several_towns_up_the_newest_is_watched_and_the_others_are_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMUX_TMPDIR", str(tmp_path / "tmuxdir"))
    (tmp_path / "tmuxdir").mkdir()
    towns = [make_town(tmp_path, name) for name in ("aaa", "zzz")]
    try:
        for town in towns:  # aaa first, zzz started later: zzz is the newest
            subprocess.run(
                [
                    "tmux",
                    "-L",
                    town.socket,
                    "-f",
                    "/dev/null",
                    "new-session",
                    "-d",
                    "-s",
                    "hq-mayor",
                ],
                check=True,
            )
            subprocess.run(
                [
                    "tmux",
                    "-L",
                    town.socket,
                    "set-environment",
                    "-g",
                    "GT_TOWN_ROOT",
                    str(town.root),
                ],
                check=True,
            )
            time.sleep(0.05)
        nowhere = tmp_path / "nowhere"
        nowhere.mkdir()
        found = find_town(nowhere, {"HOME": str(tmp_path)})
        assert found is not None and found.root == towns[1].root
        assert found.others == (towns[0].root,)  # never the alphabetically first in silence
    finally:
        for town in towns:
            subprocess.run(["tmux", "-L", town.socket, "kill-server"], check=False)
