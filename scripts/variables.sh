# shellcheck shell=bash disable=SC2034  # names used by the files that source this one
# Names shared by gastown-mcp.tmux and the scripts: public options (@gtmcp-*), internal ones
# (@_gtmcp-*), the status tokens, and where install.sh puts the virtual environment.

# shellcheck source=scripts/paths.sh
. "$PLUGIN_DIR/scripts/paths.sh"  # GTMCP_DATA_DIR, GTMCP_DEFAULT_PYTHON

STATUS_TOKENS=(gtmcp_status gtmcp_gastown gtmcp_mail gtmcp_bridge)
# What a token becomes: tmux itself computes staleness from the collector's heartbeat (%s is now),
# so a dead collector shows as stale without any process running per tick.
# shellcheck disable=SC2016
STALE_PREFIX='#{?#{e|>:#{e|-|:%s,#{@_gtmcp_heartbeat}},#{@_gtmcp_stale_after}},#{@_gtmcp_stale},}'

# key option / default key / view it opens
KEY_OPTIONS=(@gtmcp-key-quick @gtmcp-key-dashboard @gtmcp-key-mail @gtmcp-key-bridge
  @gtmcp-key-jump @gtmcp-key-sling)
KEY_DEFAULTS=(g G m b a S)
KEY_VIEWS=(quick dashboard mail bridge jump sling)

# Gas Town binds these on its own tmux server (prefix g a n p r): there they stay Gas Town's.
GASTOWN_KEYS=(g a n p r)

READ_OPTIONS=(
  socket_path client_name "S:#{session_name} "
  status-left status-right
  @gtmcp-python @_gtmcp-told-install @_gtmcp-bound-keys @_gtmcp-collector-pid @_gtmcp-told-skipped
  "${KEY_OPTIONS[@]}"
)
