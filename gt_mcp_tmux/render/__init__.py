"""Renderers: a Snapshot (or a Detection) in, tmux status strings or rich renderables out."""
