"""`gt-mcp config init`: a commented config.toml with every option at its default."""

from __future__ import annotations

import os
from pathlib import Path

import tomli_w

from gt_mcp_tmux.config import (
    FIELDS,
    ConfigError,
    Settings,
    config_path,
    env_var_name,
    tmux_option_name,
)


def commented_config() -> str:
    """Every option, commented out at its default, with what it does and where else it is set."""
    lines = [
        "# gastown-mcp configuration (gt-mcp config init).",
        "# Precedence: defaults < this file < environment < tmux options (@gtmcp-*).",
        "# Uncomment a line to change it.",
        "",
    ]
    defaults = Settings()
    for name, f in FIELDS.items():
        value = tomli_w.dumps({name: getattr(defaults, name)}).strip()
        lines.append(
            f"# {f.metadata['doc']}  [env {env_var_name(name)}, tmux {tmux_option_name(name)}]"
        )
        lines.append(f"# {value}")
        lines.append("")
    return "\n".join(lines)


def write_config(force: bool = False, path: Path | None = None) -> Path:
    target = path or config_path()
    if target.exists() and not force:
        raise ConfigError(
            f"{target} exists: use --force to replace it (the old one is kept as .bak)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target.replace(target.with_suffix(".toml.bak"))
    tmp = target.with_suffix(".tmp")
    tmp.write_text(commented_config(), encoding="utf-8")
    os.replace(tmp, target)
    return target


def options_markdown() -> str:
    """The README's options table, made from the same definitions the code reads."""
    defaults = Settings()
    rows = [
        "| option (config.toml) | environment | tmux | default | what it does |",
        "|---|---|---|---|---|",
    ]
    for name, f in FIELDS.items():
        value = getattr(defaults, name)
        shown = (
            ("on" if value else "off")
            if isinstance(value, bool)
            else (value if value != "" else "")
        )
        rows.append(
            f"| `{name}` | `{env_var_name(name)}` | `{tmux_option_name(name)}` | "
            f"{f'`{shown}`' if shown != '' else '(empty)'} | {f.metadata['doc']} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    print(options_markdown())
