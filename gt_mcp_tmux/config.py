"""Every option gastown-mcp has: its type, default, environment variable and tmux option.

Precedence: defaults < `${XDG_CONFIG_HOME:-~/.config}/gt-mcp/config.toml` < environment
(`GT_MCP_*`, plus `AGENT_MAIL_URL`) < tmux options (`@gtmcp-*`). Everything else asks this module.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def toml_loads(text: str) -> dict[str, Any]:
    """A TOML document as a dict (tomllib, or its twin tomli on Python 3.10); raises
    ValueError (TOMLDecodeError) on a syntax error. Imported only when a file is read: the
    collector keeps its memory small."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    data: dict[str, Any] = tomllib.loads(text)
    return data


class ConfigError(ValueError):
    """An invalid option value; the message is one line naming the key and what it accepts."""


def _opt(
    default: Any,
    doc: str,
    *,
    env: str | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    choices: tuple[str, ...] | None = None,
    pattern: tuple[str, str] | None = None,
) -> Any:
    """One option. `pattern` is (regular expression, what it accepts in words)."""
    meta = {
        "doc": doc,
        "env": env,
        "min": minimum,
        "max": maximum,
        "choices": choices,
        "pattern": pattern,
    }
    return field(default=default, metadata=meta)


@dataclass(frozen=True, slots=True)
class Settings:
    """The effective configuration. Field name = TOML key; `@gtmcp-<name-with-dashes>` in tmux."""

    # Where things are
    town_root: str = _opt("", "Gas Town root; empty = find it the way gt does")
    gascity: bool = _opt(True, "watch Gas City at all (a city found the way gc finds it)")
    city_root: str = _opt("", "Gas City folder or registered name; empty = find it the way gc does")
    agent_mail_url: str = _opt(
        "http://127.0.0.1:8765", "MCP Agent Mail base URL", env="AGENT_MAIL_URL"
    )
    agent_mail_db: str = _opt(
        "",
        "Agent Mail's SQLite file, read directly (fast); empty = find it from the local server, else HTTP; `http` = always HTTP",
    )
    agent_mail: bool = _opt(True, "watch MCP Agent Mail at all")
    # How often (seconds)
    status_interval: int = _opt(
        30, "gt status --fast --json every N s (never below 10)", minimum=10, maximum=3600
    )
    full_status_interval: int = _opt(
        120, "full gt status --json every N s", minimum=30, maximum=86400
    )
    convoy_interval: int = _opt(60, "gt convoy list --json every N s", minimum=10, maximum=86400)
    files_interval: float = _opt(
        1.0, "tmux sessions, heartbeats, ESTOP, events every N s", minimum=0.5, maximum=10
    )
    mail_interval: float = _opt(5.0, "Agent Mail every N s", minimum=1, maximum=3600)
    collector_cpu: float = _opt(
        1.0,
        "the collector uses at most N% of a core: a big fleet's bar then follows every few seconds (at most 10), not every files_interval; 0 = no limit",
        minimum=0,
        maximum=100,
    )
    city_api_interval: float = _opt(
        3.0,
        "Gas City's supervisor API every N s (without it, gc commands every status_interval)",
        minimum=1,
        maximum=3600,
    )
    gt_timeout: float = _opt(20.0, "kill a gt call after N s", minimum=1, maximum=600)
    stale_after: int = _opt(
        30, "the bar shows stale when the collector is silent N s", minimum=5, maximum=3600
    )
    stalled_minutes: int = _opt(
        15, "hooked work with no update for N min is stalled", minimum=1, maximum=1440
    )
    # Alerts
    alert_display: bool = _opt(
        True, "show a short tmux message on your clients when an alert fires"
    )
    alert_notify: str = _opt(
        "bell",
        "urgent alerts ring your terminal: bell; osc9 or osc777 a desktop notification where the terminal can show one (else the bell); off. Never on a client looking at that agent",
        choices=("off", "bell", "osc9", "osc777"),
    )
    alert_command: str = _opt(
        "", "run this command (argv, no shell) with each new alert as JSON on stdin; empty = none"
    )
    alert_hold: int = _opt(
        2,
        "a condition must hold this many cycles to fire (and be gone as long to clear)",
        minimum=1,
        maximum=60,
    )
    panels: str = _opt(
        "", "extra dashboard panels: comma-separated module:function (see the README)"
    )
    # Keys (a key name, or `none` to leave the key alone)
    key_quick: str = _opt(
        "g", "Prefix key: quick status popup (tmux option only: the plugin binds it)"
    )
    key_dashboard: str = _opt(
        "G", "Prefix key: live dashboard popup (tmux option only: the plugin binds it)"
    )
    key_mail: str = _opt(
        "m",
        "Prefix key: Agent Mail popup (replaces tmux's mark-pane) (tmux option only: the plugin binds it)",
    )
    key_bridge: str = _opt(
        "b", "Prefix key: bridge and detection popup (tmux option only: the plugin binds it)"
    )
    key_jump: str = _opt(
        "a",
        "Prefix key: pick an agent and jump to its session (tmux option only: the plugin binds it)",
    )
    key_sling: str = _opt(
        "S",
        "Prefix key: sling a ready bead to a rig or agent (tmux option only: the plugin binds it)",
    )
    key_next: str = _opt(
        "N",
        "Prefix key: go to the first item of the queue, what needs you most (tmux option only: the plugin binds it)",
    )
    key_queue: str = _opt(
        "Q",
        "Prefix key: the queue popup: go, snooze, ack, peek, nudge (tmux option only: the plugin binds it)",
    )
    popup_size: str = _opt(
        "80%",
        "size of the popups, 20% to 100% of the client (tmux option only)",
        pattern=(r"([2-9][0-9]|100)%", "a size from 20% to 100%"),
    )
    dashboard_size: str = _opt(
        "90%",
        "size of the dashboard popup, 20% to 100% (tmux option only)",
        pattern=(r"([2-9][0-9]|100)%", "a size from 20% to 100%"),
    )
    jump_mode: str = _opt(
        "popup", "how a jump from your own tmux opens the agent", choices=("popup", "window")
    )
    # Looks
    segment_width: int = _opt(
        0,
        "most columns #{gtmcp_status} may take (0: no limit): whole pieces go, never digits",
        minimum=0,
        maximum=500,
    )
    format_status: str = _opt(
        "{alerts} {gastown} {gascity} {mail} {bridge}",
        "#{gtmcp_status}: pieces alerts, gastown, gascity, mail, bridge",
    )
    format_gastown: str = _opt(
        "{agents} {attention} {convoys} {watchdog} {estop} {failure}",
        "#{gtmcp_gastown}: pieces agents, attention, convoys, watchdog, estop, failure",
    )
    format_gascity: str = _opt(
        "{agents} {attention} {convoys} {mail} {failure}",
        "#{gtmcp_gascity}: pieces agents, attention, convoys, mail (gc's, for human), failure",
    )
    format_mail: str = _opt(
        "{unread} {urgent} {reservations} {conflicts}",
        "#{gtmcp_mail} when up: pieces unread, urgent, reservations, conflicts",
    )
    icon_gastown: str = _opt("⛽", "icon before the Gas Town segment")
    icon_gascity: str = _opt("▦", "icon before the Gas City segment")
    icon_mail: str = _opt("✉", "icon before the Agent Mail segment")
    icon_bridge: str = _opt("⇄", "icon before the bridge segment")
    icon_attention: str = _opt("⚠", "marks agents needing attention")
    icon_stale: str = _opt("⌛", "marks stale data")
    icon_alert: str = _opt("⚑", "counts what needs you (the queue) in the combined segment")
    icon_reserved: str = _opt(
        "⛔", "marks your pane's folder as reserved by an agent (#{gtmcp_reserved})"
    )
    color_ok: str = _opt(
        "green",
        "tmux colour for a healthy state",
        pattern=(
            r"default|[a-z]+|colou?r[0-9]{1,3}|#[0-9a-fA-F]{6}",
            "a tmux colour (red, colour245, #ff8800)",
        ),
    )
    color_warn: str = _opt(
        "yellow",
        "tmux colour for attention",
        pattern=(
            r"default|[a-z]+|colou?r[0-9]{1,3}|#[0-9a-fA-F]{6}",
            "a tmux colour (red, colour245, #ff8800)",
        ),
    )
    color_alert: str = _opt(
        "red",
        "tmux colour for failures and ESTOP",
        pattern=(
            r"default|[a-z]+|colou?r[0-9]{1,3}|#[0-9a-fA-F]{6}",
            "a tmux colour (red, colour245, #ff8800)",
        ),
    )
    color_dim: str = _opt(
        "colour245",
        "tmux colour for secondary text",
        pattern=(
            r"default|[a-z]+|colou?r[0-9]{1,3}|#[0-9a-fA-F]{6}",
            "a tmux colour (red, colour245, #ff8800)",
        ),
    )
    gastown_server_status: str = _opt(
        "off",
        "inside Gas Town's own tmux server: append our segment to its status-right",
        choices=("off", "append"),
    )


FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def default_value(key: str) -> Any:
    return FIELDS[key].default


def tmux_option_name(key: str) -> str:
    return "@gtmcp-" + key.replace("_", "-")


def env_var_name(key: str) -> str:
    return FIELDS[key].metadata["env"] or "GT_MCP_" + key.upper()


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or os.path.join(
        env.get("HOME") or str(Path.home()), ".config"
    )
    return Path(base) / "gt-mcp" / "config.toml"


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def coerce(key: str, value: Any, origin: str) -> Any:
    """Check and convert one value; raise ConfigError naming `origin`, the key and what it takes."""
    f = FIELDS[key]
    meta = f.metadata
    where = f"{origin}: {key}"
    kind: type[Any] = type(f.default)
    if kind is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise ConfigError(f"{where}: expected on/off (true/false), got {value!r}")
    if kind in (int, float):
        noun = "a whole number" if kind is int else "a number"
        integral = not (kind is int and isinstance(value, float) and not value.is_integer())
        try:
            number = kind(value)
        except (TypeError, ValueError, OverflowError):
            raise ConfigError(f"{where}: expected {noun}, got {value!r}") from None
        if isinstance(value, bool) or not integral or not math.isfinite(number):
            raise ConfigError(f"{where}: expected {noun}, got {value!r}")
        low, high = meta["min"], meta["max"]
        if (low is not None and number < low) or (high is not None and number > high):
            raise ConfigError(f"{where}: expected {low} to {high}, got {value!r}")
        return number
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected text, got {value!r}")
    text = value
    if meta["choices"] and text not in meta["choices"]:
        raise ConfigError(f"{where}: expected one of {', '.join(meta['choices'])}, got {value!r}")
    if meta["pattern"] and not re.fullmatch(meta["pattern"][0], text):
        raise ConfigError(f"{where}: expected {meta['pattern'][1]}, got {value!r}")
    return text


#: The last values each config file gave without a syntax error, by path: a long-lived reader
#: (the collector re-reads every 10 s) keeps them while the file is being edited.
_LAST_GOOD: dict[str, dict[str, Any]] = {}


def read_config_raw(path: Path) -> dict[str, Any]:
    """The TOML file's table as written; {} when there is no file. ConfigError (naming the line)
    when it is not TOML, and the values last read from it are kept by `load_settings`."""
    from gt_mcp_tmux.private_files import open_regular

    try:
        with open_regular(path) as fh:  # a FIFO in its place is refused, never waited on
            raw = fh.read(1024 * 1024)
    except FileNotFoundError:
        return {}
    except OSError as err:
        raise ConfigError(f"{path}: {err.strerror}") from None
    try:
        data = toml_loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:  # TOMLDecodeError is a ValueError
        raise ConfigError(f"{path}: {err}") from None
    return data


def read_config_file(path: Path) -> dict[str, Any]:
    """The TOML file's values, checked (the first unknown or bad option is an error)."""
    values: dict[str, Any] = {}
    for key, value in read_config_raw(path).items():
        if key not in FIELDS:
            raise ConfigError(f"{path}: unknown option {key!r} (see `gt-mcp config init`)")
        values[key] = coerce(key, value, str(path))
    return values


def read_tmux_options(socket_args: list[str] | None = None, timeout: float = 1.0) -> dict[str, str]:
    """Our `@gtmcp-*` options from the current tmux server in one call; unset ones are left out."""
    keys = list(FIELDS)
    fmt = "\n".join("#{" + tmux_option_name(k) + "}" for k in keys)
    from gt_mcp_tmux.sources.tmux.runner import run_tmux

    out = run_tmux([*(socket_args or []), "display-message", "-p", fmt], timeout=timeout)
    if out is None or out.returncode != 0:
        return {}
    values = out.stdout.split("\n")
    return {key: value for key, value in zip(keys, values, strict=False) if value != ""}


def load_settings(
    environ: Mapping[str, str] | None = None,
    tmux_values: Mapping[str, str] | None = None,
    strict: bool = True,
) -> tuple[Settings, list[str]]:
    """The effective settings and the one-line errors met on the way.

    With `strict`, the first error raises ConfigError; otherwise bad values fall back to the
    previous layer and their errors are returned.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    errors: list[str] = []

    def take(key: str, raw: Any, origin: str) -> None:
        try:
            values[key] = coerce(key, raw, origin)
        except ConfigError as err:
            if strict:
                raise
            errors.append(str(err))

    path = config_path(env)
    if strict:
        values.update(read_config_file(path))
    else:
        # a file being edited: a syntax error keeps the values it last gave; one bad or unknown
        # option is left out alone, the others still count
        try:
            table = read_config_raw(path)
            _LAST_GOOD[str(path)] = table
        except ConfigError as err:
            table = _LAST_GOOD.get(str(path), {})
            kept = " (the values it last gave are kept)" if table else ""
            errors.append(f"{err}{kept}")
        for key, raw in table.items():
            if key not in FIELDS:
                errors.append(f"{path}: unknown option {key!r} (see `gt-mcp config init`)")
                continue
            take(key, raw, str(path))
    for key in FIELDS:
        raw = env.get(env_var_name(key))
        if raw:
            take(key, raw, env_var_name(key))
    for key, raw in (tmux_values or {}).items():
        take(key, raw, tmux_option_name(key))
    return Settings(**values), errors
