"""The agent's signed custody events, verified and added to the clip's audit (docs/custody_events.md)."""
