"""Benchmarks: each prints `name: value (goal)` lines, ratios against named anchors
measured in the same run, because this machine is noisy."""
