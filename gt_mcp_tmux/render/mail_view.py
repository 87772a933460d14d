"""The Agent Mail view (Prefix+m, `gt-mcp mail`): the server, then per project its agents,
reservations with time left, conflicts and latest messages, with links to the web UI.
When the server is not usable it says why, which URL was tried and how to fix it."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gt_mcp_tmux import messages
from gt_mcp_tmux.model import AgentMail, Bridge, MailMessage, MailProject, Reservation
from gt_mcp_tmux.render.ages import ago, parse_time, span
from gt_mcp_tmux.render.fit import first, more_line
from gt_mcp_tmux.render.icons import Heading
from gt_mcp_tmux.render.literal import joined, literal
from gt_mcp_tmux.render.mail_panel import conflict_lines, state_line, totals_line

#: Messages shown per project.
LATEST = 5
IMPORTANCE_STYLE = {"urgent": "bold red", "high": "yellow", "normal": "", "low": "dim"}
START_HINT = messages.START_AGENT_MAIL
URL_HINT = messages.POINT_AT_AGENT_MAIL


def web_link(url: str, slug: str | None = None) -> str:
    base = url.rstrip("/") + "/mail"
    return f"{base}/{quote(slug, safe='')}" if slug else base


def trouble_lines(mail: AgentMail | None) -> list[Text]:
    """What to tell when the server cannot be read; [] when it can."""
    if mail is None:
        return [
            Text(
                "No Agent Mail data yet: is the collector running? (gt-mcp collector status)",
                style="yellow",
            )
        ]
    if mail.state == "ok":
        return []
    tried = Text("tried: ", style="dim")
    tried.append_text(literal(mail.url.rstrip("/") + "/health/liveness"))
    if mail.state == "down":
        return [
            Text("Agent Mail is down: nothing answered.", style="bold red"),
            tried,
            Text(START_HINT),
            Text(URL_HINT, style="dim"),
        ]
    if mail.state == "auth":
        return [
            Text("Agent Mail refused the token (401).", style="bold red"),
            Text("set AGENT_MAIL_TOKEN to the server's HTTP_BEARER_TOKEN, or put the line"),
            Text("HTTP_BEARER_TOKEN=... in ~/.config/mcp-agent-mail/config.env (loopback servers)"),
        ]
    if mail.state == "off":
        return [
            Text(
                "Agent Mail is switched off (option agent_mail = false; `gt-mcp demo` sets it"
                " unless started with --with-mail).",
                style="dim",
            )
        ]
    reason = Text("Agent Mail answered, but not usefully: ", style="bold yellow")
    reason.append_text(literal(mail.error or "unknown error", "yellow"))
    return [reason, tried]


def auth_word(mail: AgentMail) -> Text:
    if mail.state == "auth":
        return Text("refused", style="bold red")
    if mail.state == "ok":
        return Text("accepted", style="green")
    return Text("unknown", style="dim")


def time_left(reservation: Reservation, now: float) -> Text:
    expires = parse_time(reservation.expires_ts)
    if expires is None:
        return Text("?", style="dim")
    if expires <= now:
        return Text("expired", style="dim")
    left = expires - now
    return Text(span(left), style="yellow" if left < 300 else "")


def _count(value: int, withheld: bool, style: str) -> Text:
    """A count, blank when 0, `?` when the server withheld it (it needs the agent's token)."""
    if withheld:
        return Text("?", style="dim")
    return Text(str(value) if value else "", style=style)


def agents_table(project: MailProject, now: float, limit: int | None = None) -> Table:
    table = Table(box=None, padding=(0, 1, 0, 0), expand=True)
    table.add_column("agent", ratio=2, min_width=8, no_wrap=True, overflow="ellipsis")
    table.add_column("program", ratio=2, min_width=6, no_wrap=True, overflow="ellipsis")
    table.add_column("unread", width=6, justify="right", no_wrap=True)
    table.add_column("urgent", width=6, justify="right", no_wrap=True)
    table.add_column("acks", width=4, justify="right", no_wrap=True)
    table.add_column("active", width=8, justify="right", no_wrap=True)
    for agent in first(sorted(project.agents, key=lambda a: (-a.unread, a.name)), limit)[0]:
        table.add_row(
            literal(agent.name, "bold"),
            joined((agent.program, ""), (agent.model, "dim")),
            Text(str(agent.unread), style="bold yellow" if agent.unread else "dim"),
            _count(agent.urgent_unread, "urgent_unread" in agent.withheld, "bold red"),
            _count(agent.acks_pending, "acks_pending" in agent.withheld, "yellow"),
            Text(ago(parse_time(agent.last_active), now), style="dim"),
        )
    return table


def reservations_table(
    reservations: Sequence[Reservation], now: float, limit: int | None = None
) -> Table:
    table = Table(box=None, padding=(0, 1, 0, 0), expand=True)
    table.add_column("reserved by", ratio=2, min_width=8, no_wrap=True, overflow="ellipsis")
    table.add_column("path", ratio=3, min_width=8, no_wrap=True, overflow="ellipsis")
    table.add_column("kind", width=6, no_wrap=True)
    table.add_column("left", width=7, justify="right", no_wrap=True)
    table.add_column("reason", ratio=2, min_width=4, no_wrap=True, overflow="ellipsis")
    by_expiry = sorted(reservations, key=lambda r: (parse_time(r.expires_ts) or 0.0, r.id))
    for item in first(by_expiry, limit)[0]:
        table.add_row(
            literal(item.agent, "bold"),
            literal(item.path_pattern),
            Text("excl" if item.exclusive else "shared", style="" if item.exclusive else "dim"),
            time_left(item, now),
            literal(item.reason, "dim"),
        )
    return table


def messages_table(messages: Sequence[MailMessage], now: float) -> Table:
    table = Table(box=None, padding=(0, 1, 0, 0), expand=True)
    table.add_column("when", width=4, justify="right", no_wrap=True)
    table.add_column("!", width=6, no_wrap=True)
    table.add_column("from → to", ratio=2, min_width=10, no_wrap=True, overflow="ellipsis")
    table.add_column("subject", ratio=3, min_width=8, no_wrap=True, overflow="ellipsis")
    for message in messages:
        moment = parse_time(message.created_ts)
        style = IMPORTANCE_STYLE.get(message.importance, "")
        table.add_row(
            Text(span(now - moment) if moment else "?", style="dim"),
            literal(message.importance, style or "dim"),
            joined((message.sender, "bold"), ("→", "dim"), (", ".join(message.recipients), "")),
            literal(message.subject, style),
        )
    return table


def project_section(
    mail: AgentMail,
    project: MailProject,
    now: float,
    rig: str | None = None,
    limit: int | None = None,
    hint: str = "",
) -> list[RenderableType]:
    """A project's agents, conflicts, reservations (soonest to expire first) and latest
    messages; with a `limit`, at most that many of each and a line saying how many more."""
    title = joined((project.slug, "bold"), (project.human_key, "dim"))
    if rig:
        title.append(f"  rig {rig}", style="cyan")
    parts: list[RenderableType] = [Heading(title, style="dim")]
    parts.append(literal(web_link(mail.url, project.slug), "dim underline"))
    if project.agents:
        parts.append(agents_table(project, now, limit))
        if limit is not None and len(project.agents) > limit:
            parts.append(more_line(len(project.agents) - limit, "agents", hint))
    else:
        parts.append(Text("no agents registered", style="dim"))
    conflicts = [c for c in mail.conflicts if c.project == project.slug]
    parts += conflict_lines(conflicts, with_project=False, limit=limit, hint=hint)
    if project.reservations:
        parts.append(reservations_table(project.reservations, now, limit))
        if limit is not None and len(project.reservations) > limit:
            parts.append(more_line(len(project.reservations) - limit, "reservations", hint))
    messages = [m for m in mail.messages if m.project == project.slug][:LATEST]
    if messages:
        parts.append(messages_table(messages, now))
    return parts


def mail_view(
    mail: AgentMail | None,
    now: float,
    bridge: Bridge | None = None,
    limit: int | None = None,
    hint: str = "",
) -> RenderableType:
    """The whole Agent Mail view for `mail` at `now`; with a `limit`, at most that many projects,
    and of each list in them, each cut list summed up in a line ending in `hint`."""
    parts: list[RenderableType] = [state_line(mail)]
    trouble = trouble_lines(mail)
    if mail is None or trouble:
        return Group(*parts, *trouble)
    info = Text("auth ", style="bold")
    info.append_text(auth_word(mail))
    info.append("   web UI ", style="bold")
    info.append_text(literal(web_link(mail.url), "underline"))
    parts += [info, totals_line(mail), *conflict_lines(mail.conflicts, limit=limit, hint=hint)]
    rigs = {link.project: link.rig for link in (bridge.links if bridge else []) if link.rig}
    projects = sorted(mail.projects, key=lambda p: (-sum(a.unread for a in p.agents), p.slug))
    shown, hidden = first(projects, limit)
    for project in shown:
        parts += project_section(mail, project, now, rigs.get(project.slug), limit, hint)
    if hidden:
        parts.append(more_line(hidden, "projects", hint))
    if not projects:
        parts.append(Text("no projects yet", style="dim"))
    return Group(*parts)
