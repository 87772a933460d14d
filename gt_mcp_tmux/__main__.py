from gt_mcp_tmux.cli import main

raise SystemExit(main())
