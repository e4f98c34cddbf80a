"""The local demo: the whole chain on this machine (loopback store, server, agent)."""
