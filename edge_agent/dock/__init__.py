"""Docking: which volumes are mounted (watcher), a safe walk of their files and the quiet-time rule
(scan), what a docked volume is (volume: profile, serial, clock offset), and which quiet files go
to offload now (batching)."""
