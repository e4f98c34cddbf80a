"""Two things the raw ASGI middlewares (body limit, input guard) both need: refusing a
request with a JSON error before any handler runs, and handing a body they had to read
on to the app as if it had not been read."""

from __future__ import annotations

import json


async def refuse(send, status: int, detail: str) -> None:
    """Answer with `status` and {"detail": detail} as JSON."""
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def replaying(body: bytes, receive):
    """A `receive` that gives `body` once, then whatever the client sends next."""
    replay = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay_receive():
        return replay.pop() if replay else await receive()

    return replay_receive
