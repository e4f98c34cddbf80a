"""The agent's side of the ingest server's HTTP API.

The contract is the server's own OpenAPI document (`GET /openapi.json` on a
running server) and docs/ingest_server.md, sections "HTTP API" and "Upload
contract (with the agent's uploader)"; tests/e2e/test_upload_contract.py holds
the agent to it against a real server.

Only the device token leaves the car. Part bytes go straight to the store
through the presigned URLs the server hands out, each bound to its SHA-256.
Errors say whether a retry can help: network faults, timeouts, 5xx and 429 can;
other 4xx cannot, except a 409 saying the clip is `verifying` (another completion is
checking it: UploadBusy). A Retry-After the server sends is kept for the backoff.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator

import httpx

API = "/api/v1"


class ServerError(Exception):
    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retryable: bool,
        body: dict | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.retryable = retryable
        self.body = body or {}
        self.retry_after = retry_after  # seconds the server asked us to wait, if it said


class TokenRefused(ServerError):
    """HTTP 401: the server no longer accepts this device's token (revoked or replaced)."""


class ChecksumRefused(ServerError):
    """The server completed the upload but refused it: the stored bytes do not match the manifest."""


class UploadBusy(ServerError):
    """HTTP 409 with `state: "verifying"`: another completion of this clip is checking the
    assembled object. Nothing to send; ask complete again after `retry_after`."""


def _retry_after(resp: httpx.Response) -> float | None:
    try:
        return max(0.0, float(resp.headers["Retry-After"]))
    except (KeyError, ValueError):
        return None  # absent, or an HTTP date: our own backoff decides


def _error_from(resp: httpx.Response, what: str) -> ServerError:
    try:
        body = resp.json()
    except ValueError:
        body = {"detail": resp.text[:500]}
    detail = body.get("detail", body) if isinstance(body, dict) else body
    body = body if isinstance(body, dict) else {"detail": body}
    busy = resp.status_code == 409 and body.get("state") == "verifying"
    retryable = busy or resp.status_code >= 500 or resp.status_code in (408, 429)
    cls = UploadBusy if busy else {409: ChecksumRefused, 401: TokenRefused}.get(resp.status_code, ServerError)
    return cls(
        f"{what}: HTTP {resp.status_code}: {detail}",
        status=resp.status_code,
        retryable=retryable,
        body=body,
        retry_after=_retry_after(resp),
    )


def _network_error(exc: Exception, what: str) -> ServerError:
    return ServerError(f"{what}: {type(exc).__name__}: {exc}", retryable=True)


class ServerClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        http: httpx.Client | None = None,
        timeout: float = 60.0,
        verify: ssl.SSLContext | bool = True,
    ):
        self.base_url = base_url.rstrip("/")
        self._auth = {"Authorization": f"Bearer {token}"}
        self._http = http or httpx.Client(timeout=httpx.Timeout(timeout, connect=10.0), verify=verify)

    def close(self) -> None:
        self._http.close()

    def use_token(self, token: str) -> None:
        """A new device token (the token file was replaced after a 401)."""
        self._auth = {"Authorization": f"Bearer {token}"}

    def _call(self, method: str, path: str, what: str, *, auth: bool = True, **kwargs) -> dict:
        headers = self._auth if auth else {}
        try:
            resp = self._http.request(method, f"{self.base_url}{API}{path}", headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise _network_error(exc, what) from exc
        if resp.status_code >= 400:
            raise _error_from(resp, what)
        return resp.json()

    def register(
        self, manifest: dict, metadata: dict, related: list[dict] | None = None, gps_track: dict | None = None
    ) -> dict:
        body: dict = {"manifest": manifest, "metadata": metadata}
        if related:
            body["related"] = related
        if gps_track:
            body["gps_track"] = gps_track
        return self._call("POST", "/uploads/register", "register", json=body)

    def complete(self, clip_id: str, parts: list[dict]) -> dict:
        return self._call("POST", f"/uploads/{clip_id}/complete", "complete", json={"parts": parts})

    def put_device_key(self, public_key_pem: str) -> dict:
        return self._call("PUT", "/devices/me/key", "device key", json={"public_key_pem": public_key_pem})

    def post_custody_events(self, clip_id: str, events: list[dict]) -> dict:
        return self._call(
            "POST", f"/clips/{clip_id}/custody-events", "custody events", json={"events": events}
        )

    def receipt_key(self) -> dict:
        return self._call("GET", "/receipt-key", "receipt key", auth=False)

    def put_part(
        self,
        url: str,
        body: bytes,
        checksum_b64: str,
        throttle: Callable[[int], None] | None = None,
        chunk: int = 256 * 1024,
    ) -> str:
        """PUT one part to its presigned URL; returns the store's ETag."""
        headers = {"x-amz-checksum-sha256": checksum_b64, "Content-Length": str(len(body))}
        content: bytes | Iterator[bytes] = body
        if throttle is not None:

            def paced() -> Iterator[bytes]:
                view = memoryview(body)
                for start in range(0, len(view), chunk):
                    piece = view[start : start + chunk]
                    throttle(len(piece))
                    yield bytes(piece)

            content = paced()  # an explicit Content-Length keeps httpx from chunking
        try:
            resp = self._http.put(url, content=content, headers=headers)
        except httpx.HTTPError as exc:
            raise _network_error(exc, "part upload") from exc
        if resp.status_code >= 400:
            raise _error_from(resp, "part upload")
        etag = resp.headers.get("ETag")
        if not etag:
            raise ServerError("part upload: the store returned no ETag", retryable=True)
        return etag
