"""Offload: a docked volume's clips and sidecars copied into the spool, hashed at their first
read, probed and journaled DISCOVERED -> SPOOLED; a full spool or a gone volume ends a batch."""
