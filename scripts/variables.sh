# shellcheck shell=bash disable=SC2034  # names used by the files that source this one
# Names shared by gastown-mcp.tmux and the scripts: public options (@gtmcp-*), internal ones
# (@_gtmcp-*), the status tokens, and where install.sh puts the virtual environment.

# shellcheck source=scripts/paths.sh
. "$PLUGIN_DIR/scripts/paths.sh"  # GTMCP_DATA_DIR, GTMCP_DEFAULT_PYTHON

STATUS_TOKENS=(gtmcp_status gtmcp_gastown gtmcp_gascity gtmcp_mail gtmcp_bridge)
# What a token becomes: tmux itself computes staleness from the collector's heartbeat (%s is now),
# so a dead collector shows as stale without any process running per tick.
# shellcheck disable=SC2016
STALE_PREFIX='#{?#{e|>:#{e|-|:%s,#{@_gtmcp_heartbeat}},#{@_gtmcp_stale_after}},#{@_gtmcp_stale},}'

# key option / default key / view it opens
KEY_OPTIONS=(@gtmcp-key-quick @gtmcp-key-dashboard @gtmcp-key-mail @gtmcp-key-bridge
  @gtmcp-key-jump @gtmcp-key-sling @gtmcp-key-next @gtmcp-key-queue)
KEY_DEFAULTS=(g G m b a S N Q)
KEY_VIEWS=(quick dashboard mail bridge jump sling next queue)

# Gas Town binds these on its own tmux server (prefix g a n p r): there they stay Gas Town's.
GASTOWN_KEYS=(g a n p r)

# Where a user may write our tokens: the status line's sides, every line of a multi-line status
# (status 2..5) and the window list's formats.
TOKEN_OPTIONS=(
  status-left status-right
  "status-format[0]" "status-format[1]" "status-format[2]" "status-format[3]" "status-format[4]"
  window-status-format window-status-current-format
)

# Formats read with the options (bash cannot take these texts as a literal array key: use these)
ATTACHED_FORMAT='S:#{?session_attached,1,}'
SESSIONS_FORMAT='S:#{session_name} '

READ_OPTIONS=(
  socket_path "$ATTACHED_FORMAT" "$SESSIONS_FORMAT"
  "${TOKEN_OPTIONS[@]}"
  @gtmcp-python @_gtmcp-told-install @_gtmcp-bound-keys @_gtmcp-collector-pid @_gtmcp-told-skipped
  "${KEY_OPTIONS[@]}"
)
