"""People and devices: bearer tokens (stored as SHA-256), roles and the principal of a request."""
