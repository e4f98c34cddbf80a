"""Use-of-force reports.

`SERVER_SOURCE` is the audit `source` of events the server records as effects of
a request or a job (links, retention applied, deletions); the request's own audit
event carries the caller's address.
"""

SERVER_SOURCE = "evidence-server"
