"""The edge agent on the in-car computer: dock detection, crash-safe offload of
camera clips into a local spool (hashed at the first read), a SQLite journal of
every clip's state, UVC capture, and a status a person at the car can read.

Submodules are imported where used; this package imports nothing at load time so
that each part (journal, scan, offload, dock, cli) stays usable on its own.
"""
