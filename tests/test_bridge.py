"""The bridge: Agent Mail projects joined to a stand-in town's rigs and agents by path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gt_mcp_tmux.bridge import link
from gt_mcp_tmux.config import Settings
from gt_mcp_tmux.model import Agent, AgentMail, BridgeLink, GasTown, MailProject, MailState, Rig
from gt_mcp_tmux.sources.agent_mail.reader import read_agent_mail
from tests.agent_mail_server import AgentMailServer, World
from tests.townkit import StandinTown, make_town


def gastown_of(town: StandinTown, root: Path | None = None, repo: str | None = None) -> GasTown:
    """The stand-in town as the collector sees it (the agents of townkit.example_status)."""
    base = root or town.root
    agents = [
        Agent(address="mayor/", name="mayor", role="mayor"),
        Agent(address="deacon/", name="deacon", role="deacon"),
        Agent(address="gastown/witness", name="witness", role="witness", rig="gastown"),
        Agent(address="gastown/refinery", name="refinery", role="refinery", rig="gastown"),
        Agent(address="gastown/furiosa", name="furiosa", role="polecat", rig="gastown"),
        Agent(address="gastown/nux", name="nux", role="polecat", rig="gastown"),
        Agent(address="gastown/crew/max", name="max", role="crew", rig="gastown"),
    ]
    rigs = [Rig(name="gastown", prefix="gt", path=str(base / "gastown"), repo=repo)]
    return GasTown(town="gt", root=str(base), agents=agents, rigs=rigs)


def mail_of(*keys: str, state: MailState = "ok") -> AgentMail:
    projects = [MailProject(slug=f"p{i}", human_key=key) for i, key in enumerate(keys)]
    return AgentMail(url="http://127.0.0.1:8765", state=state, projects=projects)


@pytest.fixture
def standin(tmp_path: Path) -> StandinTown:
    return make_town(tmp_path)


def test_paths_in_the_town_link_to_rigs_and_agents(standin: StandinTown, tmp_path: Path) -> None:
    root = standin.root
    keys = [
        f"{root}/gastown/polecats/furiosa/gastown",  # polecat worktree
        f"{root}/gastown/crew/max",  # crew clone
        f"{root}/gastown/mayor/rig",  # the rig's canonical clone
        f"{root}/gastown/refinery/rig",  # the refinery's clone
        f"{root}/gastown/polecats/furiosa/gastown/sub/dir",  # deeper in the worktree
        f"{root}/gastown/polecats/ghost/gastown",  # a polecat Gas Town does not know
        f"{root}/gastown",  # the rig folder itself
        f"{root}/mayor",  # the mayor's own folder
        str(root),  # the town itself
        str(tmp_path / "elsewhere" / "repo"),  # outside: unlinked
        f"{root}-other/gastown/crew/max",  # a sibling folder whose name starts the same
    ]
    bridge = link(gastown_of(standin), mail_of(*keys))
    assert bridge.state == "linked"
    assert bridge.errors == []
    assert bridge.links == [
        BridgeLink("p0", "gastown", "gastown/furiosa"),
        BridgeLink("p1", "gastown", "gastown/crew/max"),
        BridgeLink("p2", "gastown", None),
        BridgeLink("p3", "gastown", "gastown/refinery"),
        BridgeLink("p4", "gastown", "gastown/furiosa"),
        BridgeLink("p5", "gastown", None),
        BridgeLink("p6", "gastown", None),
        BridgeLink("p7", None, "mayor/"),
        BridgeLink("p8", None, None),
    ]


def test_a_rigs_own_repository_links_to_the_rig(standin: StandinTown, tmp_path: Path) -> None:
    repo = tmp_path / "src" / "gastown"
    bridge = link(gastown_of(standin, repo=str(repo)), mail_of(str(repo), f"{repo}/crew/max"))
    assert bridge.links == [BridgeLink("p0", "gastown", None), BridgeLink("p1", "gastown", None)]


def test_town_reached_through_a_symlink(standin: StandinTown, tmp_path: Path) -> None:
    alias = tmp_path / "alias"
    os.symlink(standin.root, alias)
    real_key = f"{os.path.realpath(standin.root)}/gastown/crew/max"
    bridge = link(gastown_of(standin, root=alias), mail_of(real_key))
    assert bridge.links == [BridgeLink("p0", "gastown", "gastown/crew/max")]


def test_nothing_inside_is_unlinked(standin: StandinTown, tmp_path: Path) -> None:
    bridge = link(gastown_of(standin), mail_of(str(tmp_path / "elsewhere"), "relative/path"))
    assert (bridge.state, bridge.links) == ("unlinked", [])


def test_a_missing_side_is_partial_and_named(standin: StandinTown) -> None:
    mail_down = AgentMail(url="http://127.0.0.1:8765", state="down", error="connection refused")
    bridge = link(gastown_of(standin), mail_down)
    assert bridge.state == "partial"
    assert bridge.errors == ["Agent Mail: down: connection refused"]
    no_town = link(GasTown(), mail_of(f"{standin.root}/gastown/crew/max"))
    assert no_town.state == "partial"
    assert no_town.errors == ["Gas Town: town not found"]
    assert no_town.links == []
    both = link(GasTown(), AgentMail(url="x", state="auth", error="HTTP 401"))
    assert both.state == "down"
    assert both.errors == ["Gas Town: town not found", "Agent Mail: auth: HTTP 401"]


@pytest.mark.integration
@pytest.mark.slow
def test_bridge_over_a_real_server(
    agent_mail_server: AgentMailServer, agent_mail_world: World
) -> None:
    mail = read_agent_mail(
        Settings(agent_mail_url=agent_mail_server.url, agent_mail_db="http"), timeout=20
    )
    town = StandinTown(agent_mail_world.town_root, agent_mail_world.town_root, {"gastown": "gt"})
    bridge = link(gastown_of(town), mail)
    slugs = agent_mail_world.slugs
    assert bridge.state == "linked"
    assert sorted(bridge.links, key=lambda x: x.project) == sorted(
        [
            BridgeLink(slugs["furiosa"], "gastown", "gastown/furiosa"),
            BridgeLink(slugs["max"], "gastown", "gastown/crew/max"),
            BridgeLink(slugs["canonical"], "gastown", None),
        ],
        key=lambda x: x.project,
    )
    assert slugs["outside"] not in {x.project for x in bridge.links}


def test_a_city_joins_by_path_and_its_agent_mail_agents_by_identity() -> None:
    """A city whose mail backend is Agent Mail: its agents are Agent Mail agents (named as gc
    names them, or with the gc name in the task description); other projects by path."""
    from gt_mcp_tmux.model import GasCity, MailAgent

    city = GasCity(
        city="c",
        root="/home/me/city",
        agents=[
            Agent("mayor", "mayor", "mayor", session="mayor"),
            Agent(
                "demorig/witness", "witness", "witness", rig="demorig", session="demorig--witness"
            ),
        ],
        rigs=[Rig("demorig", path="/home/me/rigs/demorig")],
    )
    mail = AgentMail(
        url="http://x",
        state="ok",
        projects=[
            MailProject(
                "home-me-city",
                "/home/me/city",
                agents=[
                    MailAgent("mayor"),
                    MailAgent("GreenCastle", task_description="demorig/witness"),
                    MailAgent("Stranger"),
                ],
            ),
            MailProject("rig-clone", "/home/me/rigs/demorig/src"),
            MailProject("elsewhere", "/srv/other"),
        ],
    )
    bridge = link(GasTown(), mail, city)
    assert bridge.state == "linked"
    joined = {(j.project, j.rig, j.agent, j.by) for j in bridge.links}
    assert joined == {
        ("home-me-city", "demorig", "demorig/witness", "identity"),
        ("home-me-city", None, "mayor", "identity"),
        ("rig-clone", "demorig", None, "path"),
    }
    assert all(j.orchestrator == "gascity" for j in bridge.links)
    # without a town and without a city, nothing joins (and says why)
    assert link(GasTown(), mail).state == "partial"
