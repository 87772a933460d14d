"""A fleet-sized Agent Mail for the tests and the benchmarks: many projects, agents,
reservations and conflicts (the lists a quick view must cut)."""

from __future__ import annotations

from gt_mcp_tmux.model import AgentMail, Conflict, MailAgent, MailProject, Reservation


def big_mail(projects: int = 20, reservations: int = 2000, conflicts: int = 50) -> AgentMail:
    per_project = reservations // projects
    made = [
        MailProject(
            slug=f"proj-{p:02d}",
            human_key=f"/home/u/gt/rig{p:02d}",
            agents=[
                MailAgent(f"Agent{p:02d}x{a:02d}", "claude-code", unread=a % 3) for a in range(12)
            ],
            reservations=[
                Reservation(
                    p * per_project + r,
                    f"Agent{p:02d}x{r % 12:02d}",
                    f"src/module{r:03d}/**",
                    expires_ts="2099-01-01T00:00:00+00:00",
                )
                for r in range(per_project)
            ],
        )
        for p in range(projects)
    ]
    clashes = [
        Conflict(
            f"proj-{c % projects:02d}", f"src/m{c}/**", f"AgentA{c}", f"src/m{c}/x.py", f"AgentB{c}"
        )
        for c in range(conflicts)
    ]
    return AgentMail(
        "http://127.0.0.1:8765",
        "ok",
        unread_total=sum(a.unread for p in made for a in p.agents),
        reservations_active=reservations,
        conflicts=clashes,
        projects=made,
    )
