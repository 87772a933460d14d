#!/bin/sh
# Start the collector for the tmux server this runs under ($TMUX), detached from tmux's job.
# It exits at once when one already runs for this server (it holds a lock), so calling this on
# every reload is safe. Usage: collector.sh PYTHON
python="$1"
[ -x "$python" ] || exit 0
[ -n "${TMUX:-}" ] || exit 0
# One malloc arena: the worker threads' JSON would otherwise each grow an arena of their own.
MALLOC_ARENA_MAX=1 exec setsid "$python" -m gt_mcp_tmux collector run </dev/null >/dev/null 2>&1
