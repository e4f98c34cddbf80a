"""Derived objects of a clip (redacted and signed copies), their review, public records requests."""
