# shellcheck shell=bash
# Sourced by gastown-mcp.tmux: bind the popup keys. Each key comes from its @gtmcp-key-* option
# (default in variables.sh); `none` binds nothing. Keys bound by an earlier load and no longer
# wanted are unbound, so a reload with new settings leaves no stale binding behind.
if [ -n "${PYTHON:-}" ] && [ -x "$PLUGIN_DIR/scripts/popup.sh" ]; then
  launcher="$(printf '%q' "$PLUGIN_DIR/scripts/popup.sh")"
  bound=""
  skipped=""
  for i in "${!KEY_OPTIONS[@]}"; do
    key="$(value_or "${KEY_OPTIONS[$i]}" "${KEY_DEFAULTS[$i]}")"
    [ "$key" = "none" ] && continue
    if [ -n "$ON_GASTOWN_SERVER" ] && [[ " ${GASTOWN_KEYS[*]} " == *" $key "* ]]; then
      skipped+="$key "  # Gas Town's own key on its own server: never taken
      continue
    fi
    view="${KEY_VIEWS[$i]}"
    add bind-key -T prefix "$key" run-shell -b \
      "$launcher $view #{q:client_name} #{q:pane_id} #{q:pane_current_path}"
    bound+="$key "
  done
  for old in ${opt[@_gtmcp-bound-keys]-}; do
    case " $bound" in *" $old "*) continue ;; esac
    if [ "$old" = m ]; then
      add bind-key -T prefix m select-pane -m  # give tmux's own mark-pane back
    else
      add unbind-key -T prefix "$old"
    fi
  done
  add set-option -gq @_gtmcp-bound-keys "$bound"
  add set-option -gq @_gtmcp-skipped-keys "$skipped"
fi
