"""A TCP proxy on 127.0.0.1 that can misbehave on command, for outage tests.

Modes: "pass" forwards; "refuse" accepts and resets at once; "stall" accepts and
holds the connection without forwarding; "reset" forwards then resets after a
few KiB; "http500" answers every request with HTTP 500. Change `mode` at any
time; new connections follow it (stall also holds live ones). Only loopback.
"""

from __future__ import annotations

import socket
import struct
import threading

from demo.stack import LOOPBACK


class FaultProxy:
    def __init__(self, target_port: int):
        self.target = (LOOPBACK, target_port)
        self.mode = "pass"
        self.connections = 0
        self._stop = threading.Event()
        self._listener = socket.create_server((LOOPBACK, 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._serve, name="fault-proxy", daemon=True)
        self._accept.start()

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def close(self) -> None:
        self._stop.set()
        self._accept.join(5)
        self._listener.close()
        for t in self._threads:
            t.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @staticmethod
    def _reset(sock: socket.socket) -> None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            t = threading.Thread(target=self._handle, args=(client,), daemon=True)
            self._threads = [x for x in self._threads if x.is_alive()] + [t]
            t.start()

    def _handle(self, client: socket.socket) -> None:
        mode = self.mode
        if mode == "refuse":
            self._reset(client)
            return
        if mode == "http500":
            client.settimeout(5)
            try:
                client.recv(65536)
                body = b'{"detail": "injected outage"}'
                head = (
                    b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                    b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body)
                )
                client.sendall(head + body)
            except OSError:
                pass
            client.close()
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            self._reset(client)
            return
        budget = [64 * 1024] if mode == "reset" else [None]
        pumps = [
            threading.Thread(target=self._pump, args=(client, upstream, budget), daemon=True),
            threading.Thread(target=self._pump, args=(upstream, client, [None]), daemon=True),
        ]
        for p in pumps:
            p.start()
        for p in pumps:
            p.join()
        for s in (client, upstream):
            try:
                s.close()
            except OSError:
                pass

    def _pump(self, src: socket.socket, dst: socket.socket, budget: list) -> None:
        try:
            src.settimeout(0.2)
        except OSError:  # the other direction already reset the connection
            return
        while not self._stop.is_set():
            if self.mode == "stall":
                self._stop.wait(0.1)
                continue
            try:
                data = src.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            try:
                dst.sendall(data)
            except OSError:
                break
            if budget[0] is not None:
                budget[0] -= len(data)
                if budget[0] <= 0:
                    self._reset(src)
                    self._reset(dst)
                    return
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
