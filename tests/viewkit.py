"""Fixed Snapshots for the view tests: a busy town, a hostile one, a quiet one. Times are relative
to NOW so that ages print the same on every run."""

from __future__ import annotations

from datetime import datetime, timezone

from gt_mcp_tmux.model import (
    Agent,
    AgentMail,
    Bridge,
    BridgeLink,
    Conflict,
    Convoy,
    Event,
    GasCity,
    GasTown,
    MailAgent,
    MailMessage,
    MailProject,
    Reservation,
    Rig,
    Snapshot,
    SourceError,
    SourceHealth,
    TmuxSession,
)

NOW = 1_780_000_000.0  # a fixed moment (2026-05-28)
HOSTILE = "#(touch /tmp/gtmcp-pwned) #[fg=red]red[/] [bold red]x[/] \x1b[31mesc"
LONG = "an-extraordinarily-long-polecat-name-that-never-ends-" + "x" * 60


def iso(age: float) -> str:
    return datetime.fromtimestamp(NOW - age, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def busy_town() -> Snapshot:
    agents = [
        Agent(
            "mayor/",
            "mayor",
            "mayor",
            session="hq-mayor",
            running=True,
            unread_mail=1,
            status="idle",
            last_activity=NOW - 40,
        ),
        Agent(
            "deacon/",
            "deacon",
            "deacon",
            session="hq-deacon",
            running=True,
            hook_bead="hq-wisp-abc12",
            work_title="mol-deacon-patrol",
            status="working",
            last_activity=NOW - 5,
        ),
        Agent(
            "gastown/witness",
            "witness",
            "witness",
            rig="gastown",
            session="gt-witness",
            running=True,
            status="idle",
            last_activity=NOW - 300,
        ),
        Agent(
            "gastown/refinery",
            "refinery",
            "refinery",
            rig="gastown",
            session="gt-refinery",
            running=True,
            hook_bead="gt-mr001",
            work_title="Merge queue",
            status="working",
            last_activity=NOW - 20,
        ),
        Agent(
            "gastown/furiosa",
            "furiosa",
            "polecat",
            rig="gastown",
            session="gt-furiosa",
            running=True,
            hook_bead="gt-abc12",
            work_title="Fix flaky test",
            status="working",
            last_activity=NOW - 12,
        ),
        Agent(
            "gastown/nux",
            "nux",
            "polecat",
            rig="gastown",
            session="gt-nux",
            running=False,
            hook_bead="gt-def34",
            work_title="Add retry to sling",
            state="stuck",
            status="stuck",
            last_activity=NOW - 1900,
        ),
        Agent(
            "gastown/slit",
            "slit",
            "polecat",
            rig="gastown",
            session="gt-slit",
            running=False,
            hook_bead="gt-ghi56",
            work_title="Port status line",
            status="dead",
            last_activity=NOW - 3600,
        ),
        Agent(
            "gastown/crew/max",
            "max",
            "crew",
            rig="gastown",
            session="gt-crew-max",
            running=True,
            hook_bead="gt-jkl78",
            work_title="Docs for convoys",
            unread_mail=2,
            status="stalled",
            last_activity=NOW - 1200,
        ),
        Agent("deacon/dogs/rex", "rex", "dog", session="hq-dog-rex", status="stopped"),
        Agent(
            "deacon/boot",
            "boot",
            "boot",
            session="hq-boot",
            running=True,
            status="idle",
            last_activity=NOW - 90,
        ),
    ]
    convoys = [
        Convoy("hq-cv-aaa01", "Deploy v2.0", "open", completed=3, total=5),
        Convoy("hq-cv-bbb02", "Flaky tests sweep", "open", completed=1, total=8),
        Convoy("hq-cv-ccc03", "Status line rewrite", "closed", completed=4, total=4),
    ]
    events = [
        Event(iso(30), "sling", "mayor", "gt-abc12 → gastown/furiosa"),
        Event(iso(200), "merged", "gastown/refinery", "gt-zzz99 landed on main"),
        Event(iso(400), "merge_failed", "gastown/refinery", "gt-yyy88: tests failed"),
        Event(iso(900), "session_death", "deacon", "gt-slit died (OOM)"),
        Event(iso(1000), "patrol_complete", "deacon", "", visibility="audit"),
    ]
    sessions = [
        TmuxSession("hq-mayor", 1, 0, NOW - 86400, NOW - 40, "mayor"),
        TmuxSession("hq-deacon", 1, 0, NOW - 86400, NOW - 5, "deacon"),
        TmuxSession("gt-witness", 1, 0, NOW - 7200, NOW - 300, "gastown/witness"),
        TmuxSession("gt-furiosa", 2, 1, NOW - 3600, NOW - 12, "gastown/polecats/furiosa"),
        TmuxSession("gt-crew-max", 1, 0, NOW - 3600, NOW - 1200, "gastown/crew/max"),
    ]
    gastown = GasTown(
        town="gt",
        root="/home/me/gt",
        found_by="cwd",
        socket="gt-c78608",
        server_running=True,
        gt_version="1.0.1",
        agents=agents,
        convoys=convoys,
        sessions=sessions,
        events=events,
        overseer_unread=2,
        deacon_heartbeat_age=30.0,
    )
    url = "http://127.0.0.1:8765"
    mail = AgentMail(
        url=url,
        state="ok",
        variant="mcp-agent-mail 0.1.0",
        via="http",
        latency_ms=3.2,
        unread_total=5,
        urgent_unread=1,
        acks_pending=2,
        reservations_active=3,
        conflicts=[
            Conflict("home-me-gt-gastown", "src/**", "GreenCastle", "src/api.py", "BlueLake")
        ],
        projects=[
            MailProject(
                "home-me-gt-gastown",
                "/home/me/gt/gastown",
                agents=[
                    MailAgent(
                        "GreenCastle",
                        "claude-code",
                        "opus",
                        unread=3,
                        urgent_unread=1,
                        acks_pending=1,
                        last_active=iso(60),
                    ),
                    MailAgent("BlueLake", "codex", "gpt-5", unread=0, last_active=iso(7200)),
                ],
                reservations=[
                    Reservation(1, "GreenCastle", "src/**", True, "refactor", iso(600), iso(-1800)),
                    Reservation(2, "BlueLake", "src/api.py", True, "fix api", iso(300), iso(-600)),
                ],
            ),
            MailProject(
                "home-me-side",
                "/home/me/side",
                agents=[
                    MailAgent("RedFox", "claude-code", "sonnet", unread=2, last_active=iso(30))
                ],
                reservations=[
                    Reservation(3, "RedFox", "README.md", False, "", iso(60), iso(-3600))
                ],
            ),
        ],
        messages=[
            MailMessage(
                11,
                "home-me-gt-gastown",
                "Who owns src/api.py?",
                "BlueLake",
                ["GreenCastle"],
                "urgent",
                iso(120),
            ),
            MailMessage(
                10,
                "home-me-gt-gastown",
                "Refactor plan",
                "GreenCastle",
                ["BlueLake", "RedFox"],
                "normal",
                iso(3000),
            ),
            MailMessage(
                9, "home-me-side", "README wording", "RedFox", ["GreenCastle"], "low", iso(90000)
            ),
        ],
    )
    bridge = Bridge(
        "partial",
        links=[
            BridgeLink("home-me-gt-gastown", "gastown", "gastown/furiosa"),
            BridgeLink("home-me-side", None, None),
        ],
    )
    sources = [
        SourceHealth("gt_status", NOW - 20, NOW - 20, None, 30.0),
        SourceHealth("convoys", NOW - 50, NOW - 10, "gt convoy list: timeout after 20s", 60.0),
        SourceHealth("agent_mail", NOW - 3, NOW - 3, None, 5.0),
    ]
    return Snapshot(NOW - 4, "0.1.0", gastown, mail, bridge, sources)


def hostile_town() -> Snapshot:
    """Names, titles and subjects that try tmux formats, rich markup, escapes, and sheer length."""
    agents = [
        Agent(
            f"gastown/{HOSTILE}",
            HOSTILE,
            "polecat",
            rig="gastown",
            session="gt-x",
            running=True,
            hook_bead="gt-#{E:x}",
            work_title=HOSTILE,
            status="stuck",
            unread_mail=99,
            last_activity=NOW - 60,
        ),
        Agent(
            f"gastown/{LONG}",
            LONG,
            "polecat",
            rig="gastown",
            running=True,
            hook_bead="gt-long1",
            work_title="a title " * 30,
            status="working",
            last_activity=NOW - 1,
        ),
        Agent(
            "gastown/ünïcödé-名前-🦀",
            "ünïcödé-名前-🦀",
            "crew",
            rig="gastown",
            running=True,
            work_title="日本語のタイトル 🎉 with emoji",
            status="idle",
            last_activity=NOW - 10,
        ),
        Agent("weird/[/]", "[/]", "no-such-role", status="stopped"),
    ]
    gastown = GasTown(
        town=HOSTILE,
        root="/home/me/#(town)",
        socket="gt-c78608",
        server_running=True,
        agents=agents,
        convoys=[Convoy("hq-cv-x", HOSTILE, "open", completed=2, total=3)],
        events=[Event(iso(5), "sling", HOSTILE, HOSTILE)],
        estop=True,
        estop_reason=f"pressed by {HOSTILE}",
        errors=[SourceError("gt_status", "bad_output", f"gt printed {HOSTILE}")],
    )
    mail = AgentMail(
        url="http://127.0.0.1:8765",
        state="ok",
        unread_total=1,
        reservations_active=1,
        conflicts=[Conflict(HOSTILE, "#(rm -rf ~)", "[bold]A[/]", "src/**", LONG)],
        projects=[
            MailProject(
                HOSTILE,
                "/tmp/#{x}",
                agents=[MailAgent("[red]Evil[/]", unread=1)],
                reservations=[
                    Reservation(1, "[red]Evil[/]", "#(rm -rf ~)", True, HOSTILE, iso(10), iso(-60))
                ],
            ),
        ],
        messages=[MailMessage(1, HOSTILE, HOSTILE, "[red]Evil[/]", [LONG], "urgent", iso(10))],
    )
    return Snapshot(
        NOW - 1, "0.1.0", gastown, mail, Bridge("linked", [BridgeLink(HOSTILE, "gastown", HOSTILE)])
    )


def quiet_town() -> Snapshot:
    """No town found, Agent Mail down: what a new user sees first."""
    gastown = GasTown(
        errors=[SourceError("town", "not_found", "no town found: cd into it or set GT_TOWN_ROOT")]
    )
    mail = AgentMail(url="http://127.0.0.1:8765", state="down", error="connection refused")
    return Snapshot(NOW - 2, "0.1.0", gastown, mail, Bridge("down", errors=["Agent Mail is down"]))


def a_city() -> GasCity:
    """A city as the supervisor reports one: named sessions, a pool, a crash loop, convoys."""
    agents = [
        Agent("mayor", "mayor", "mayor", session="mayor", running=True, status="working",
              agent_info="mayor", last_activity=NOW - 5),
        Agent("deacon", "deacon", "deacon", session="deacon", running=True, status="idle",
              agent_info="deacon", last_activity=NOW - 400),
        Agent("demorig/witness", "witness", "witness", rig="demorig", session="demorig--witness",
              running=True, status="idle", agent_info="demorig/witness", last_activity=NOW - 120),
        Agent("demorig/polecat-1", "polecat-1", "polecat", rig="demorig", session="polecat-gc-7",
              running=True, status="working", agent_info="demorig/polecat", last_activity=NOW - 2),
        Agent("demorig/reviewer", "reviewer", "reviewer", rig="demorig", session="demorig--reviewer",
              running=False, state="quarantined", status="dead", agent_info="demorig/reviewer"),
    ]  # fmt: skip
    return GasCity(
        city="my-city",
        root="/home/me/my-city",
        found_by="cwd",
        socket="my-city",
        server_running=True,
        gc_version="0.15.1-104-ga46ccb1c",
        api_url="http://127.0.0.1:8372",
        via="api",
        supervisor_running=True,
        controller_running=True,
        agents=agents,
        rigs=[Rig("demorig", path="/home/me/rigs/demorig", polecat_count=1, has_witness=True)],
        convoys=[Convoy("gc-14", "sprint-12", "open", completed=1, total=2)],
        events=[Event(iso(30), "session.woke", "gc", "session.woke demorig/reviewer")],
        human_unread=1,
    )


def city_only() -> Snapshot:
    """A Gas City user without a town (and without Agent Mail)."""
    return Snapshot(NOW - 2, "0.1.0", GasTown(), None, None, [], [], a_city())


def town_and_city() -> Snapshot:
    """A town and a city watched at once."""
    from dataclasses import replace

    return replace(busy_town(), gascity=a_city())
