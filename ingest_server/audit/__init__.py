"""The audit chain: append-only, hash-chained events with the CJIS fields."""
