"""Use-of-force reports: the records, their service, the API routes and schemas."""
