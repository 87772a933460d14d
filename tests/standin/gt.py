"""The stand-in `gt` (gt_mcp_tmux/demo/standin_gt.py) at the path the tests run and look for."""

from gt_mcp_tmux.demo.standin_gt import run

run()
