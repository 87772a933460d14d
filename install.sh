#!/usr/bin/env sh
# gastown-mcp set-up: an isolated virtual environment with the dependencies, `gt-mcp` on PATH.
#   ./install.sh              install (or update) and load the plugin into a running tmux
#   ./install.sh --dev        also the test tools (pytest, ruff, mypy)
#   ./install.sh --uninstall  remove everything this script created
# Idempotent: a second run checks and changes nothing. Needs no root.
set -eu

PLUGIN_DIR=$(cd "$(dirname "$0")" && pwd)
DATA_DIR="${XDG_DATA_HOME:-$HOME/.local/share}/gastown-mcp"
VENV="$DATA_DIR/venv"
BIN_DIR="${XDG_BIN_HOME:-$HOME/.local/bin}"
LINK="$BIN_DIR/gt-mcp"
STAMP="$VENV/.gastown-mcp-installed"

say() { printf 'gastown-mcp: %s\n' "$*"; }
die() { printf 'gastown-mcp: %s\n' "$*" >&2; exit 1; }

mode=install
case "${1:-}" in
  "") ;;
  --dev) mode=dev ;;
  --uninstall) mode=uninstall ;;
  -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown option '$1' (use --dev, --uninstall or --help)" ;;
esac

if [ "$mode" = uninstall ]; then
  # every collector of this user, on every tmux server: none may run on from a deleted venv
  if [ -x "$VENV/bin/python" ]; then "$VENV/bin/python" -m gt_mcp_tmux collector stop --all >/dev/null 2>&1 || true; fi
  if [ -L "$LINK" ] && [ "$(readlink "$LINK")" = "$VENV/bin/gt-mcp" ]; then rm -f "$LINK"; fi
  rm -rf "$DATA_DIR"
  # the collectors' cache and state (gt_mcp_tmux/cache.py: runtime_dir)
  if [ -n "${XDG_RUNTIME_DIR:-}" ]; then rm -rf "$XDG_RUNTIME_DIR/gastown-mcp"; else rm -rf "/tmp/gastown-mcp-$(id -u)"; fi
  say "removed $DATA_DIR, $LINK and the collectors' state"
  say "kept: your config (${XDG_CONFIG_HOME:-$HOME/.config}/gt-mcp) and your tmux.conf"
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/gastown-mcp-tests"
  if [ -d "$cache" ]; then say "kept: $cache (the tests' Agent Mail venv, made by scripts/test.sh; remove it by hand)"; fi
  exit 0
fi

# --- prerequisites, each with one line saying what to do --------------------------------------
PYTHON=""
for candidate in python3 python3.13 python3.12 python3.11 python3.10; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys, venv; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    PYTHON=$(command -v "$candidate"); break
  fi
done
[ -n "$PYTHON" ] || die "needs python3 >= 3.10 with venv: install it (Debian/Ubuntu: apt-get install python3 python3-venv)"
# Debian's python3 has the venv module but not ensurepip until python3-venv is installed
"$PYTHON" -c 'import ensurepip' 2>/dev/null ||
  die "$PYTHON cannot make a virtual environment: install python3-venv (Debian/Ubuntu: apt-get install python3-venv)"
command -v tmux >/dev/null 2>&1 || die "needs tmux >= 3.2: install it (Debian/Ubuntu: apt-get install tmux)"
tmux_version=$(tmux -V | sed 's/[^0-9.]*\([0-9]*\.[0-9]*\).*/\1/')
case "$tmux_version" in
  1.*|2.*|3.0*|3.1*) say "tmux $tmux_version is older than 3.2: views open in windows instead of popups" ;;
esac

# --- the virtual environment (skipped when it is already up to date) -------------------------
want="$(cat "$PLUGIN_DIR/pyproject.toml") mode=$mode python=$PYTHON dir=$PLUGIN_DIR"
# "up to date" includes importing the package from this checkout: a venv made for another clone
# (or re-pointed by hand) would run that clone's code
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] &&
   "$VENV/bin/python" -I -c 'import os, sys, gt_mcp_tmux as g; sys.exit(os.path.realpath(g.PLUGIN_DIR) != os.path.realpath(sys.argv[1]))' "$PLUGIN_DIR" 2>/dev/null; then
  say "already installed in $VENV"
else
  say "installing into $VENV (about a minute the first time)"
  mkdir -p "$DATA_DIR"
  # a half-made venv (an interrupted run, a Python upgraded under it) is made again
  if [ -d "$VENV" ] && ! "$VENV/bin/python" -c 'import pip' >/dev/null 2>&1; then
    say "the venv in $VENV is broken: making it again"
    rm -rf "$VENV"
  fi
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV" || die "could not create a venv: install python3-venv"
  extra=""; [ "$mode" = dev ] && extra="[dev]"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    --config-settings editable_mode=compat -e "$PLUGIN_DIR$extra" ||
    die "pip could not install the dependencies (see the messages above)"
  printf '%s' "$want" > "$STAMP"
fi

# --- gt-mcp on PATH --------------------------------------------------------------------------
mkdir -p "$BIN_DIR"
if [ -e "$LINK" ] && [ ! -L "$LINK" ]; then
  say "$LINK exists and is not ours: left alone; run $VENV/bin/gt-mcp instead"
elif [ "$(readlink "$LINK" 2>/dev/null)" != "$VENV/bin/gt-mcp" ]; then
  ln -sfn "$VENV/bin/gt-mcp" "$LINK" && say "linked $LINK"
fi
case ":$PATH:" in *":$BIN_DIR:"*) ;; *) say "add $BIN_DIR to your PATH to run gt-mcp" ;; esac

# --- load the plugin into the tmux we run in (TPM users: Prefix+I does this) -----------------
if [ -n "${TMUX:-}" ]; then
  tmux run-shell "$PLUGIN_DIR/gastown-mcp.tmux" && say "plugin loaded into this tmux"
else
  say "not inside tmux, so no plugin loaded: 'gt-mcp tmux setup' adds it to your tmux.conf (or TPM, see the README); 'gt-mcp demo' tries it on a simulated town"
fi
say "ready: run 'gt-mcp detect' to see what it finds"
"$VENV/bin/gt-mcp" detect || true
