#!/usr/bin/env bash
# gastown-mcp: TPM entry point (also works as `run-shell /path/to/gastown-mcp.tmux`).
# It only reads options, rewrites our status tokens, binds the keys it was given and starts the
# collector. Every tmux call is batched: one to read the options, one to read the prefix key table
# (so that no key the user bound is taken), one to write. Idempotent across reloads.
set -u

PLUGIN_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/variables.sh
. "$PLUGIN_DIR/scripts/variables.sh"

# --- read: every option we need in one call (unset options come back empty) ----------------------
format=""
for name in "${READ_OPTIONS[@]}"; do format+="#{$name}"$'\n'; done
values=()
while IFS= read -r line; do values+=("$line"); done < <(tmux display-message -p "$format" 2>/dev/null)
declare -A opt=()
for i in "${!READ_OPTIONS[@]}"; do opt[${READ_OPTIONS[$i]}]="${values[$i]-}"; done
value_or() { local v="${opt[$1]-}"; printf '%s' "${v:-$2}"; }

# --- are we inside Gas Town's own tmux server? (gt starts it without -f: it loads ~/.tmux.conf)
# Its socket is named <town>-<6 hex>, and its sessions are hq-* and <prefix>-* (none yet while
# gt starts it). There the plugin leaves Gas Town's keys alone.
ON_GASTOWN_SERVER=""
socket_name="${opt[socket_path]-}"; socket_name="${socket_name##*/}"
if [[ "$socket_name" =~ ^[a-z0-9-]+-[0-9a-f]{6}$ ]]; then
  sessions=" ${opt[$SESSIONS_FORMAT]-}"
  if [ "$sessions" = " " ] || [[ "$sessions" == *" hq-"* ]]; then ON_GASTOWN_SERVER=1; fi
fi

writes=()  # tmux commands, each an argv, joined with ';' into one call at the end
add() { if [ ${#writes[@]} -gt 0 ]; then writes+=(";"); fi; writes+=("$@"); }
# A value ending in ';' would be read as a command separator: send it as '\;'.
safe_value() { local v="$1"; [ "${v%;}" != "$v" ] && v="${v%;}\\;"; printf '%s' "$v"; }

# --- status tokens: #{gtmcp_x} -> <stale marker>#{@gtmcp_x}; nothing else of the user's changes --
for side in "${TOKEN_OPTIONS[@]}"; do
  current="${opt[$side]-}"
  rewritten="$current"
  # the combined segment carries your pane's reservation warning (a pane option: each client's own)
  rewritten="${rewritten//"#{gtmcp_status}"/"$STALE_PREFIX#{@gtmcp_status}#{@gtmcp_reserved}"}"
  rewritten="${rewritten//"#{gtmcp_reserved}"/"#{@gtmcp_reserved}"}"
  for token in "${STATUS_TOKENS[@]}"; do
    rewritten="${rewritten//"#{$token}"/"$STALE_PREFIX#{@$token}"}"
  done
  if [ "$rewritten" != "$current" ]; then add set-option -g "$side" "$(safe_value "$rewritten")"; fi
done

# --- python: the venv install.sh made (or @gtmcp-python); tell once when it is missing ----------
# A TPM user's first load happens before any client is attached, where a message is lost: the
# reminder waits in a client-attached hook (once: the hook removes itself), and the keys are
# bound anyway (popup.sh says exactly what to run).
PYTHON="$(value_or @gtmcp-python "$GTMCP_DEFAULT_PYTHON")"
if [ ! -x "$PYTHON" ]; then
  if [ -z "${opt[@_gtmcp-told-install]-}" ]; then
    reminder="gastown-mcp: run $PLUGIN_DIR/install.sh once to finish the set-up"
    if [ -n "${opt[$ATTACHED_FORMAT]-}" ]; then  # a client is attached: tell it now
      add display-message "$(safe_value "${reminder//#/##}")"
      add set-option -gq @_gtmcp-told-install 1
    else
      hook="display-message $(printf '%q' "${reminder//#/##}") ; set-option -gq @_gtmcp-told-install 1 ; set-hook -gu client-attached[4747]"
      add set-hook -g "client-attached[4747]" "$(safe_value "$hook")"
    fi
  fi
  PYTHON=""
fi

# --- key bindings: see scripts/keys.sh (each key configurable, `none` leaves it alone) -----------
# shellcheck source=scripts/keys.sh
. "$PLUGIN_DIR/scripts/keys.sh"

add set-option -gq @_gtmcp-plugin-dir "$(safe_value "$PLUGIN_DIR")"
if [ ${#writes[@]} -gt 0 ]; then tmux "${writes[@]}" >/dev/null 2>&1; fi
[ -n "${restore_file:-}" ] && rm -f "$restore_file"

# --- the collector: one per tmux server, in the background (it keeps itself a singleton) --------
# It publishes its pid; when that process is alive, a reload starts no Python at all.
collector_alive() {
  local pid="${opt[@_gtmcp-collector-pid]-}"
  [ -n "$pid" ] || return 1
  if [ -r "/proc/$pid/cmdline" ]; then  # Linux: make sure the pid is still our collector
    local -a argv=()
    mapfile -d '' argv < "/proc/$pid/cmdline" 2>/dev/null || return 1
    # word by word: "${argv[*]}" joins with IFS's first character, which may be none at all
    local i
    for ((i = 0; i + 1 < ${#argv[@]}; i++)); do
      [ "${argv[i]}" = gt_mcp_tmux ] && [ "${argv[i + 1]}" = collector ] && return 0
    done
    return 1
  fi
  kill -0 "$pid" 2>/dev/null
}
if [ -n "$PYTHON" ] && ! collector_alive; then
  "$PLUGIN_DIR/scripts/collector.sh" "$PYTHON" >/dev/null 2>&1 &
fi
exit 0
