"""The clip index: one row per original, its facts, where it is stored, and its state."""
