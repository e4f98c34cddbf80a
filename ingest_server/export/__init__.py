"""Court export: a BagIt bag (zip) of originals with a chain-of-custody report per clip."""
