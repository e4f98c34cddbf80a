"""Upload: spooled clips to the ingest server (register, parts, complete, receipt) with retries,
a bandwidth limit and an ETag ledger; the loop that runs it and then the release step."""
