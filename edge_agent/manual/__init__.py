"""One-shot commands behind the CLI, each calling the service's own steps: a manual offload, a
manual upload, a manual UVC recording."""
