"""Shared by every part of the agent: the clip state, the journal and its schema, the spool folder,
the live status, media probing, receipts, the profile protocol and the configuration. Imports
nothing else of the agent."""
