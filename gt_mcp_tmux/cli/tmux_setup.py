"""`gt-mcp tmux setup [--remove]`: load the plugin from tmux.conf for people without TPM.

It adds one marked block that runs `gastown-mcp.tmux`, after a timestamped backup of the file as
the user had it, to `$XDG_CONFIG_HOME/tmux/tmux.conf` when that file exists, else `~/.tmux.conf`.
A second run changes nothing; `--remove` takes the block out and leaves every other byte as it
was. Only the user's own file is backed up, once: updating or removing the block touches only
our lines, and a backup holding the same bytes is not written again. The file is edited
in place through symlinks (dotfile repositories stay linked) and keeps its mode.
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gt_mcp_tmux import PLUGIN_DIR

BEGIN = b"# >>> gastown-mcp >>>"
END = b"# <<< gastown-mcp <<<"
COMMENT = b"# Added by `gt-mcp tmux setup`; `gt-mcp tmux setup --remove` takes it out."
#: The status length a block may set, one line a side (when the bar would be cut otherwise).
LENGTH_RE = re.compile(rb"^set -g status-(left|right)-length ([0-9]{1,4})\r?$", re.M)
#: Our block exactly: the two markers as whole lines with our comment, our status lengths (if
#: any) and one run-shell line between them, in either line ending. A stray marker elsewhere (a
#: copy in a comment, half a block) never matches, so no line of the user's between two markers
#: is ever taken.
BLOCK_RE = re.compile(
    rb"^"
    + re.escape(BEGIN)
    + rb"\r?\n"
    + re.escape(COMMENT)
    + rb"\r?\n(?:set -g status-(?:left|right)-length [0-9]{1,4}\r?\n){0,2}"
    + rb"run-shell [^\r\n]*\r?\n"
    + re.escape(END)
    + rb"(?:\r?\n|\Z)",
    re.M,
)
PLAIN_PATH = re.compile(r"^[A-Za-z0-9_./@%+=:,~-]+$")
UNSAFE_CHARS = set("'\"$`\\#\n\r")


class SetupError(ValueError):
    """Why the block cannot be written; one line."""


@dataclass(frozen=True, slots=True)
class SetupResult:
    path: Path
    changed: bool
    backup: Path | None
    message: str
    lengths: Mapping[str, int] = field(default_factory=dict)  # what the block sets now


def tmux_conf_path(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CONFIG_HOME/tmux/tmux.conf` (default ~/.config) if it exists, else `~/.tmux.conf`."""
    env = os.environ if environ is None else environ
    home = Path(env.get("HOME") or Path.home())
    xdg = Path(env.get("XDG_CONFIG_HOME") or home / ".config") / "tmux" / "tmux.conf"
    return xdg if xdg.exists() else home / ".tmux.conf"


def default_plugin_entry() -> Path:
    """The `gastown-mcp.tmux` next to this package (a clone, or an editable install of one)."""
    return Path(PLUGIN_DIR) / "gastown-mcp.tmux"


def run_line(entry: Path) -> bytes:
    """The `run-shell` line for `entry`, quoted for tmux's parser and for `sh -c`."""
    text = str(entry)
    if UNSAFE_CHARS & set(text):
        raise SetupError(f"cannot quote the plugin path safely for tmux.conf: {text!r}; move it")
    quoted = f"'{text}'" if PLAIN_PATH.match(text) else f"'\"{text}\"'"
    return f"run-shell {quoted}".encode()


def length_lines(lengths: Mapping[str, int]) -> list[bytes]:
    """`set -g status-right-length 60` for each side given (left first)."""
    return [
        f"set -g status-{side}-length {lengths[side]}".encode()
        for side in ("left", "right")
        if side in lengths
    ]


def block(entry: Path, lengths: Mapping[str, int] | None = None) -> bytes:
    return b"\n".join(
        [
            b"",
            BEGIN,
            COMMENT,
            *length_lines(lengths or {}),
            run_line(entry),
            END,
            b"",
        ]
    )


def block_lengths(text: bytes) -> dict[str, int]:
    """The status lengths the block in `text` sets (none when there is no block)."""
    found = BLOCK_RE.search(text)
    if found is None:
        return {}
    return {side.decode(): int(number) for side, number in LENGTH_RE.findall(found.group(0))}


def existing_backup(path: Path, data: bytes) -> Path | None:
    """A backup of `path` setup made before that holds exactly `data` (so none is added)."""
    for candidate in sorted(path.parent.glob(f"{glob.escape(path.name)}.gastown-mcp-*.bak")):
        with contextlib.suppress(OSError):
            if candidate.is_file() and candidate.read_bytes() == data:
                return candidate
    return None


def backup_path(path: Path, now: float | None = None) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    candidate = path.with_name(f"{path.name}.gastown-mcp-{stamp}.bak")
    count = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.gastown-mcp-{stamp}-{count}.bak")
        count += 1
    return candidate


def _write(path: Path, data: bytes, old: bytes | None, *, back_up: bool) -> Path | None:
    """Back up `old` (with `back_up`, when the file existed and no backup holds it yet), then
    write `data` in place keeping the mode.

    A file the user made read-only is refused (replacing it would go around that), and the
    temporary file never outlives a failed write."""
    # root can write anything: the mode bits are still the user's word
    if old is not None and (not os.access(path, os.W_OK) or not path.stat().st_mode & 0o200):
        raise SetupError(f"{path} is read-only: make it writable, or add the block by hand")
    backup = None
    if old is not None and back_up:
        backup = existing_backup(path, old)
        if backup is None:
            backup = backup_path(path)
            backup.write_bytes(old)
            os.chmod(backup, path.stat().st_mode & 0o777)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.gastown-mcp.tmp")
    try:
        tmp.write_bytes(data)
        if old is not None:
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return backup


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def install_block(conf: Path, entry: Path, lengths: Mapping[str, int] | None = None) -> SetupResult:
    """Add (or update) the block in `conf`; nothing changes when it is there already. `lengths`:
    the status lengths the bar needs (by side); a length the block already sets is kept unless a
    larger one is needed (once in force it no longer cuts: it must not go again)."""
    if not entry.is_file() or not os.access(entry, os.X_OK):
        raise SetupError(f"{entry} is not an executable plugin file (use --plugin-dir)")
    target = conf.resolve()
    old = _read(target)
    merged = block_lengths(old or b"")
    for side, length in (lengths or {}).items():
        merged[side] = max(merged.get(side, 0), length)
    wanted = block(entry, merged)
    if old is not None:
        found = BLOCK_RE.search(old)
        ending = b"\r\n" if found and b"\r\n" in found.group(0) else b"\n"
        ours = wanted.strip(b"\n").replace(b"\n", ending)
        if found and found.group(0).rstrip(b"\r\n") == ours:
            return SetupResult(conf, False, None, f"{conf} already loads gastown-mcp", merged)
        if found:  # an older block: replaced in place, in the file's own line ending
            rest = found.group(0)[len(found.group(0).rstrip(b"\r\n")) :]
            new = old[: found.start()] + ours + rest + old[found.end() :]
        else:
            new = old + wanted
    else:
        new = wanted.lstrip(b"\n")  # a new file starts with the block, not a blank line
    # only the user's own file is backed up: replacing an older block touches only our lines
    backup = _write(target, new, old, back_up=old is not None and not BLOCK_RE.search(old))
    return SetupResult(conf, True, backup, f"added the gastown-mcp block to {conf}", merged)


def remove_block(conf: Path) -> SetupResult:
    """Take the block out of `conf`, leaving every other byte as it was."""
    target = conf.resolve()
    old = _read(target)
    if old is None or not BLOCK_RE.search(old):
        return SetupResult(conf, False, None, f"{conf} has no gastown-mcp block")
    new = _without_block(old)
    _write(target, new, old, back_up=False)  # only our lines go: setup's backup holds the rest
    return SetupResult(conf, True, None, f"removed the gastown-mcp block from {conf}")


def _without_block(text: bytes) -> bytes:
    """The file with our block's lines taken out and every other byte as it was. At the end of
    the file, the line ending before the block goes too: `setup` put it there (its block starts
    on a line of its own), so a file that had no final newline gets it back exactly."""
    found = BLOCK_RE.search(text)
    if found is None:
        return text
    before, after = text[: found.start()], text[found.end() :]
    if not after:
        if before.endswith(b"\r\n"):
            before = before[:-2]
        elif before.endswith(b"\n"):
            before = before[:-1]
    return before + after


def tpm_loads_plugin(conf: Path) -> bool:
    """Whether the file already lists gastown-mcp as a TPM plugin (outside our block)."""
    text = BLOCK_RE.sub(b"", _read(conf.resolve()) or b"")
    return bool(re.search(rb"^\s*set(-option)?\s+-g\s+@plugin\s+\S*gastown-mcp", text, re.M))
