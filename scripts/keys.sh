# shellcheck shell=bash
# Sourced by gastown-mcp.tmux: bind the popup keys. Each key comes from its @gtmcp-key-* option
# (default in variables.sh); `none` binds nothing.
#
# No key the user bound is taken: a default key that is bound already (by the user, a theme, a
# plugin) is skipped and named in @_gtmcp-skipped-keys (detect says so; a message says it once).
# tmux's own stock binding of a key (Prefix+m: mark pane) is taken, as documented; a key the user
# asked for (@gtmcp-key-*) is taken whatever is bound there. Whatever we take is remembered, and
# given back when we let go of the key (a reload with other settings, `none`).
if [ -x "$PLUGIN_DIR/scripts/popup.sh" ]; then  # bound even before install.sh: popup.sh says what to run
  launcher="$(printf '%q' "$PLUGIN_DIR/scripts/popup.sh")"
  # popup.sh's facts, in its order: version, Python, window, the two sizes, the client's size,
  # where the frames are (what it would otherwise ask tmux for, one call, on every key press)
  POPUP_FACTS='=#{q:version} =#{q:@gtmcp-python} =#{window_id} =#{q:@gtmcp-popup-size}'
  POPUP_FACTS+=' =#{q:@gtmcp-dashboard-size} =#{client_width} =#{client_height} =#{q:@_gtmcp_frames}'
  # tmux's stock prefix bindings of the keys we may take (tmux 3.2-3.4)
  declare -A STOCK=([m]="select-pane -m" [M]="select-pane -M")
  # what is bound now in the prefix table, by key (one tmux call)
  declare -A current=()
  keyline='^bind-key[[:space:]]+(-r[[:space:]]+)?-T[[:space:]]+prefix[[:space:]]+([^[:space:]]+)[[:space:]]+(.*)$'
  while IFS= read -r line; do
    # list-keys: bind-key [-r] -T prefix KEY COMMAND... (the command kept verbatim)
    if [[ "$line" =~ $keyline ]]; then current[${BASH_REMATCH[2]}]="${BASH_REMATCH[3]}"; fi
  done < <(tmux list-keys -T prefix 2>/dev/null)
  option_of() { printf '@_gtmcp-prev-key-%s' "${1//[^A-Za-z0-9]/_}"; }
  bound=""
  skipped=""
  declare -A wanted=()
  for i in "${!KEY_OPTIONS[@]}"; do
    explicit="${opt[${KEY_OPTIONS[$i]}]-}"
    key="$(value_or "${KEY_OPTIONS[$i]}" "${KEY_DEFAULTS[$i]}")"
    [ "$key" = "none" ] && continue
    if [ -n "$ON_GASTOWN_SERVER" ] && [[ " ${GASTOWN_KEYS[*]} " == *" $key "* ]]; then
      skipped+="$key "  # Gas Town's own key on its own server: never taken
      continue
    fi
    there="${current[$key]-}"
    if [ -n "$there" ] && [[ "$there" != *"/scripts/popup.sh"* ]]; then
      stock="${STOCK[$key]-}"
      if [ -z "$explicit" ] && [ "$there" != "$stock" ]; then
        skipped+="$key "  # the user's (or a theme's) key, and they did not ask us for it
        continue
      fi
      add set-option -gq "$(option_of "$key")" "$(safe_value "$there")"  # to give back later
    fi
    wanted[$key]=1
    view="${KEY_VIEWS[$i]}"
    # what popup.sh needs comes expanded with the key (no tmux call before the popup); each
    # `=` keeps an empty value an argument
    add bind-key -T prefix "$key" run-shell -b \
      "$launcher $view #{q:client_name} #{q:pane_id} #{q:pane_current_path} $POPUP_FACTS"
    bound+="$key "
  done
  restore=""
  for old in ${opt[@_gtmcp-bound-keys]-}; do
    [ -n "${wanted[$old]-}" ] && continue
    previous="$(tmux show-option -gqv "$(option_of "$old")" 2>/dev/null)"
    [ -n "$previous" ] || previous="${STOCK[$old]-}"
    if [ -n "$previous" ]; then
      restore+="bind-key -T prefix $(printf '%q' "$old") $previous"$'\n'
      add set-option -gqu "$(option_of "$old")"
    else
      add unbind-key -T prefix "$old"
    fi
  done
  add set-option -gq @_gtmcp-bound-keys "$bound"
  add set-option -gq @_gtmcp-skipped-keys "$skipped"
  if [ -n "$skipped" ] && [ "${opt[@_gtmcp-told-skipped]-}" != "$skipped" ]; then
    add display-message "gastown-mcp: left your Prefix+ ${skipped% } alone (set @gtmcp-key-* to choose keys)"
    add set-option -gq @_gtmcp-told-skipped "$skipped"
  fi
  if [ -n "$restore" ]; then
    # the bindings we let go of, given back as they were (list-keys lines are tmux commands)
    restore_file="$(mktemp "${TMPDIR:-/tmp}/gtmcp-keys.XXXXXX")"
    printf '%s' "$restore" > "$restore_file"
    add source-file "$restore_file"
  fi
fi
