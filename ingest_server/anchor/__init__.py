"""The audit chain anchored outside the database: signed checkpoints in the Object-Locked store."""
