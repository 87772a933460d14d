#!/bin/sh
# Open one of gastown-mcp's views for the client that pressed the key: a tmux popup (tmux >= 3.2),
# or a new window on older tmux. Bound by gastown-mcp.tmux (scripts/keys.sh) as
#   run-shell -b "popup.sh VIEW #{q:client_name} #{q:pane_id} #{q:pane_current_path} =FACT..."
# the facts (version, Python, window, sizes, the client's size, the frames' folder) expanded by
# tmux with the key, each after a `=`; without them (a binding made before), one tmux call asks.
# Every value reaches tmux as its own argument (argv form, no shell string, no format expansion).
# The Python is @gtmcp-python, else the venv install.sh made.
set -u
set -f

view="${1:-}"
client="${2:-}"
pane="${3:-}"
cwd="${4:-}"
case "$0" in
  */*) here="${0%/*}" ;;
  *) here=. ;;
esac
# shellcheck source=scripts/paths.sh
. "$here/paths.sh"

if [ "$#" -ge 12 ]; then
  version="${5#=}" python="${6#=}" window="${7#=}" popup_size="${8#=}" dashboard_size="${9#=}"
  client_width="${10#=}" client_height="${11#=}" frames="${12#=}"
else
  # One tmux call for all we need: the server's version, the configured Python, the pane's window,
  # the sizes, the client's size and where the pre-rendered frames are (ui/frames.py).
  {
    read -r version
    read -r python
    read -r window
    read -r popup_size
    read -r dashboard_size
    read -r client_width
    read -r client_height
    read -r frames
  } <<INFO
$(tmux display-message ${client:+-c "$client"} ${pane:+-t "$pane"} -p '#{version}
#{@gtmcp-python}
#{window_id}
#{@gtmcp-popup-size}
#{@gtmcp-dashboard-size}
#{client_width}
#{client_height}
#{@_gtmcp_frames}' 2>/dev/null)
INFO
fi

case "$view" in
  quick) size=80% ; set -- status --popup --client "$client" ;;
  dashboard) size=90% ; set -- dashboard --popup ;;
  mail) size=80% ; set -- mail --popup ;;
  bridge) size=80% ; set -- bridge --popup ;;
  jump) size=80% ; set -- jump --popup --client "$client" ;;
  sling) size=80% ; set -- sling --popup ;;
  queue) size=80% ; set -- queue --popup --client "$client" ;;
  next) size="" ; set -- queue next --client "$client" ;;  # goes there itself: no popup of ours
  *)
    tmux display-message "gastown-mcp: no view named that (quick, dashboard, mail, bridge, jump, sling, queue, next)"
    exit 0  # the message says it; a non-zero exit would cover it with tmux's error
    ;;
esac

# Sizes: @gtmcp-popup-size / @gtmcp-dashboard-size, a percentage of the client (20% to 100%).
case "$view" in
  dashboard) size="${dashboard_size:-$size}" ;;
  *) size="${popup_size:-$size}" ;;
esac
case "$size" in
  [2-9][0-9]% | 100%) ;;
  *) size=80% ;;
esac
[ -n "${python:-}" ] || python="$GTMCP_DEFAULT_PYTHON"
if [ ! -x "$python" ]; then
  # the path is data: `#` and `%` would be read as a format and a strftime sequence
  installer="$(printf '%s' "$(dirname "$here")/install.sh" | sed 's/#/##/g; s/%/%%/g')"
  tmux display-message "gastown-mcp: not installed yet: run $installer (or set @gtmcp-python)"
  exit 0  # the message says it; a non-zero exit would cover it with tmux's error
fi
case "$cwd" in *"
"*) cwd="$HOME" ;; esac
[ -d "$cwd" ] || cwd="$HOME"
# -d and -c are expanded as tmux formats: double every '#' so a folder named '#(cmd)' stays a name.
case "$cwd" in *"#"*) cwd="$(printf '%s' "$cwd" | sed 's/#/##/g')" ;; esac

if [ "$view" = next ]; then
  # in the background (run-shell -b): it says what it did with a message, never on the pane
  # (a non-zero exit would cover that with tmux's error)
  "$python" -m gt_mcp_tmux "$@" >/dev/null 2>&1
  exit 0
fi

case "${version#next-}" in
  "" | [0-2].* | 3.[01] | 3.[01][!0-9]*) popups=no ;;
  *) popups=yes ;;
esac

if [ "$popups" = no ]; then
  # No popups before 3.2: a window next to the pane's, closed when the view exits.
  exec tmux new-window -a ${window:+-t "$window"} -c "$cwd" -n gastown-mcp \
    -- "$python" -m gt_mcp_tmux "$@"
fi

# The view's first screen, pre-rendered for this popup's size (its inside: the client's size times
# the percentage, less the border, as tmux sums it): `cat` paints it at once, then the view starts
# and takes over (repainting it if it is out of date). No frame: the view paints live.
case "${version#next-}" in
  3.2 | 3.2[!0-9]*) title="" ;;  # -T arrived in 3.3
  *) title=" gastown-mcp " ;;
esac
frame=""
# On tmux 3.2 (no -T) the views paint live: the frame's `sh -c SCRIPT ARGS...` relies on
# display-popup running a command given as several arguments as 3.3 does (untested on 3.2).
case "$title:$view" in
  ?*:quick | ?*:dashboard | ?*:mail | ?*:bridge)
    case "$client_width$client_height" in
      "" | *[!0-9]*) ;;
      *)
        share="${size%\%}"
        inner_w=$((client_width * share / 100 - 2))
        inner_h=$((client_height * share / 100 - 2))
        file="$frames/$view-${inner_w}x$inner_h.ansi"
        [ -n "$frames" ] && [ -f "$file" ] && [ -r "$file" ] && frame="$file"
        ;;
    esac
    ;;
esac
if [ -n "$frame" ]; then
  # stty: a key typed before the view reads it is not echoed over the frame
  # shellcheck disable=SC2016  # the inner shell expands them
  set -- sh -c 'cat -- "$1"; stty -echo -icanon 2>/dev/null; shift; exec "$@"' gtmcp-frame \
    "$frame" "$python" -m gt_mcp_tmux "$@" "--frame=$frame"
else
  set -- "$python" -m gt_mcp_tmux "$@"
fi
if [ -n "$title" ]; then
  exec tmux display-popup -c "$client" -E -w "$size" -h "$size" -d "$cwd" -T "$title" -- "$@"
fi
exec tmux display-popup -c "$client" -E -w "$size" -h "$size" -d "$cwd" -- "$@"
