"""The app under test served by uvicorn on a free loopback port, in a thread of the test process.

Browser and HTTP tests that need a real socket share this instead of each starting uvicorn.
"""

from __future__ import annotations

import threading

import uvicorn

from demo.stack import LOOPBACK, free_port


class LiveServer:
    """`base = LiveServer(app, "uvicorn-portal").start()` ... `live.stop()`."""

    def __init__(self, app, name: str = "uvicorn-test") -> None:
        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host=LOOPBACK, port=self.port, log_level="warning", lifespan="off")
        )
        self.thread = threading.Thread(target=self.server.run, name=name, daemon=True)

    def start(self) -> str:
        """Start serving and return the base URL once uvicorn says it has started."""
        self.thread.start()
        waiter = threading.Event()
        while not self.server.started and self.thread.is_alive():
            waiter.wait(0.02)
        assert self.server.started, f"uvicorn did not start on {LOOPBACK}:{self.port}"
        return f"http://{LOOPBACK}:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
