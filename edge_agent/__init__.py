"""The edge agent on the in-car computer: dock detection, crash-safe offload of
camera clips into a local spool (hashed at the first read), a SQLite journal of
every clip's state, UVC capture, upload, release, and a status a person at the
car can read.

Sub-packages by job (core, dock, offload, capture, upload, release, manual); the
module map and the allowed import direction are in docs/architecture.md. This
package imports nothing at load time.
"""
