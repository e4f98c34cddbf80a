"""Redaction of derived copies: faces found, tracked and masked, audio ranges masked; originals untouched."""
