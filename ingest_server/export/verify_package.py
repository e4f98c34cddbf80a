#!/usr/bin/env python3
"""Check this evidence package without the system that made it.

    python3 data/custody/verify_package.py   (from the package folder)
    python3 verify_package.py PACKAGE_FOLDER

Standard-library Python 3.8+ only: no project code, nothing to install. It checks

1. every file against its SHA-256 in manifest-sha256.txt (and the tag files against
   tagmanifest-sha256.txt), and that no file was added;
2. every custody event: its hash recomputed from its fields (formula below), its place
   in the audit chain (data/custody/chain.txt: each link's prev_hash is the hash of
   the link before it, no sequence number missing), and that no event of a clip was
   left out;
3. every signed receipt (Ed25519, verified here in pure Python after RFC 8032
   section 6, since the standard library has no Ed25519) against the server's
   public key, and that receipt, manifest, index and file agree on the SHA-256;
   and each sidecar (data/sidecars/...): file, custody record and receipt agree on
   its SHA-256 and size, and every sidecar the receipt names is in the package;
4. every signed checkpoint of the audit chain (data/custody/checkpoints.json), and
   that the chain in this package reaches the checkpoint and matches its hash.
5. every custody event the car signed (component "agent": docked, clock read, copy
   started and finished, registered, receipt received, camera copy deleted, moved or
   kept, refusals): its Ed25519 signature, made by the car's own key, over the
   payload in its detail, against that key in data/custody/device-keys.json (found
   by its fingerprint, the SHA-256 of the raw key), and that it is about this clip.

Event hash: SHA-256 of the JSON object of the fields seq, occurred_at, component,
event_type, actor, outcome, object_type, object_id, source, detail, prev_hash, with
keys sorted, separators "," and ":" and no spaces, non-ASCII escaped (\\uXXXX),
encoded as ASCII; `detail` is itself a JSON text (a string). The first event's
prev_hash is 64 zeros. A receipt or checkpoint signature is Ed25519 over the JSON of
its fields, keys sorted, separators "," and ":", UTF-8; an agent event's signature
is the same over its `payload` (in the event's detail, beside `signature`).

It prints each problem found, then a plain verdict, and exits 0 (verified) or 1.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys

HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "component",
    "event_type",
    "actor",
    "outcome",
    "object_type",
    "object_id",
    "source",
    "detail",
    "prev_hash",
)
GENESIS = "0" * 64
ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")

# --- Ed25519 verification (RFC 8032, section 6: the reference algorithm) -------------------
P = 2**255 - 19
Q = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def _inv(x: int) -> int:
    return pow(x, P - 2, P)


def _add(a, b):
    e1 = (a[1] - a[0]) * (b[1] - b[0]) % P
    e2 = (a[1] + a[0]) * (b[1] + b[0]) % P
    c = 2 * a[3] * b[3] * D % P
    dd = 2 * a[2] * b[2] % P
    e, f, g, h = e2 - e1, dd - c, dd + c, e2 + e1
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _mul(s: int, point):
    result = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            result = _add(result, point)
        point = _add(point, point)
        s >>= 1
    return result


def _equal(a, b) -> bool:
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def _recover_x(y: int, sign: int):
    if y >= P:
        return None
    x2 = (y * y - 1) * _inv(D * y * y + 1) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def _decompress(data: bytes):
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = _recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % P)


_GY = 4 * _inv(5) % P
_GX = _recover_x(_GY, 0)
BASE = (_GX, _GY, 1, _GX * _GY % P)


def ed25519_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    if len(public) != 32 or len(signature) != 64:
        return False
    a, r = _decompress(public), _decompress(signature[:32])
    if a is None or r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= Q:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % Q
    return _equal(_mul(s, BASE), _add(r, _mul(h, a)))


# --- the checks ------------------------------------------------------------------------------


def event_hash(event: dict) -> str:
    body = json.dumps(
        {k: event[k] for k in HASHED_FIELDS}, sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )
    return hashlib.sha256(body.encode("ascii")).hexdigest()


def canonical(data: dict) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def public_key_from_pem(text: str) -> bytes:
    body = "".join(line for line in text.splitlines() if line and not line.startswith("-----"))
    der = base64.b64decode(body)
    if len(der) != 44 or not der.startswith(ED25519_SPKI_PREFIX):
        raise ValueError("not an Ed25519 public key")
    return der[12:]


def verify_signed(key: bytes, signed: dict, body_field: str) -> bool:
    try:
        signature = base64.b64decode(signed["signature"], validate=True)
        return ed25519_verify(key, canonical(signed[body_field]), signature)
    except (KeyError, ValueError, TypeError):
        return False


def key_fingerprint(key: bytes) -> str:
    return "sha256:" + hashlib.sha256(key).hexdigest()


class Check:
    def __init__(self, root: str) -> None:
        self.root = root
        self.problems: list[str] = []
        self.facts: list[str] = []
        self.device_keys: dict[str, bytes] = {}
        self.agent_signatures = 0
        self.sidecar_count = 0

    def load_device_keys(self) -> None:
        listed = self.read_json("data/custody/device-keys.json")
        for entry in listed if isinstance(listed, list) else []:
            fingerprint = entry.get("fingerprint") if isinstance(entry, dict) else None
            try:
                key = public_key_from_pem(entry.get("public_key_pem", ""))
            except (AttributeError, ValueError, TypeError):
                self.problem(f"data/custody/device-keys.json: key {fingerprint} is not an Ed25519 public key")
                continue
            if key_fingerprint(key) != fingerprint:
                self.problem(
                    f"data/custody/device-keys.json: key {fingerprint} does not have that fingerprint"
                )
                continue
            self.device_keys[fingerprint] = key

    def agent_event(self, name: str, event: dict, clip: dict) -> None:
        """A custody event the car signed: its signature, its key, and that it is about this clip."""
        label = f"{name}: agent event {event.get('seq')} ({event.get('event_type')})"
        try:
            detail = json.loads(event.get("detail") or "{}")
        except ValueError:
            detail = None
        payload = detail.get("payload") if isinstance(detail, dict) else None
        if not isinstance(payload, dict):
            self.problem(f"{label}: it carries no signed payload")
            return
        fingerprint = payload.get("key_fingerprint")
        key = self.device_keys.get(fingerprint)
        if key is None:
            self.problem(f"{label}: the car's key {fingerprint} is not in data/custody/device-keys.json")
        elif not verify_signed(key, detail, "payload"):
            self.problem(
                f"{label}: its signature is not valid for the car's key {fingerprint}: "
                "the event was forged or edited after the car signed it"
            )
        else:
            self.agent_signatures += 1
        if event.get("event_type") != f"agent.{payload.get('kind')}":
            self.problem(f"{label}: the car signed a {payload.get('kind')!r} event, not this one")
        if payload.get("clip_sha256") != clip.get("sha256"):
            self.problem(
                f"{label}: the car signed it for SHA-256 {payload.get('clip_sha256')}, not this clip"
            )

    def path(self, rel: str) -> str:
        return os.path.join(self.root, *rel.split("/"))

    def problem(self, text: str) -> None:
        self.problems.append(text)

    def read_json(self, rel: str):
        try:
            with open(self.path(rel), encoding="utf-8") as f:
                return json.load(f)
        except (OSError, ValueError) as exc:
            self.problem(f"{rel}: unreadable ({exc})")
            return None

    def manifests(self) -> None:
        listed = {}
        for name, where in (("manifest-sha256.txt", "data"), ("tagmanifest-sha256.txt", "tag")):
            try:
                with open(self.path(name), encoding="utf-8") as f:
                    lines = [line.rstrip("\n") for line in f if line.strip()]
            except OSError:
                self.problem(f"{name} is missing")
                continue
            for line in lines:
                digest, _, rel = line.partition(" ")
                rel = rel.strip()
                listed[rel] = where
                if not os.path.isfile(self.path(rel)):
                    self.problem(f"{rel}: listed in {name} but missing")
                elif sha256_file(self.path(rel)) != digest:
                    self.problem(f"{rel}: its SHA-256 differs from {name}: the file was changed")
        for folder, _, files in os.walk(self.path("data")):
            for name in files:
                rel = os.path.relpath(os.path.join(folder, name), self.root).replace(os.sep, "/")
                if rel not in listed:
                    self.problem(f"{rel}: not listed in manifest-sha256.txt: a file was added")
        self.facts.append(
            f"checked {sum(1 for w in listed.values() if w == 'data')} file(s) against the manifest"
        )

    def chain(self) -> dict[int, dict]:
        links: dict[int, dict] = {}
        try:
            with open(self.path("data/custody/chain.txt"), encoding="utf-8") as f:
                rows = [line.split() for line in f if line.strip() and not line.startswith("#")]
        except OSError:
            self.problem("data/custody/chain.txt is missing")
            return links
        previous = None
        for row in rows:
            if len(row) != 4 or not row[0].isdigit():
                self.problem(f"data/custody/chain.txt: malformed line {' '.join(row)!r}")
                continue
            seq, prev_hash, hash_, owner = int(row[0]), row[1], row[2], row[3]
            if previous is not None:
                if seq != previous["seq"] + 1:
                    self.problem(
                        f"audit chain: event {previous['seq'] + 1} is missing (next is {seq}): "
                        "an event was deleted"
                    )
                elif prev_hash != previous["hash"]:
                    self.problem(
                        f"audit chain: event {seq} does not link to event {previous['seq']} "
                        "(its prev_hash is not that event's hash): the chain was altered"
                    )
            elif seq == 1 and prev_hash != GENESIS:
                self.problem("audit chain: event 1 does not start from the genesis hash")
            links[seq] = {"seq": seq, "prev_hash": prev_hash, "hash": hash_, "owner": owner}
            previous = links[seq]
        if links:
            self.facts.append(f"checked the links of audit chain events {min(links)} to {max(links)}")
        return links

    def clip(self, rel: str, links: dict[int, dict], key: bytes | None) -> int:
        data = self.read_json(rel)
        if not isinstance(data, dict):
            return 0
        name, clip = data.get("file", "?"), data.get("clip", {})
        seen = set()
        for event in data.get("events", []):
            try:
                recomputed = event_hash(event)
            except (KeyError, TypeError):
                self.problem(f"{name}: event {event.get('seq')} lacks a hashed field")
                continue
            seq = event["seq"]
            seen.add(seq)
            if recomputed != event.get("hash"):
                self.problem(
                    f"{name}: event {seq} ({event.get('event_type')}): its hash does not match its "
                    "fields: the event was edited"
                )
            if event.get("object_id") != clip.get("id"):
                self.problem(f"{name}: event {seq} is about {event.get('object_id')}, not this clip")
            if event.get("component") == "agent" and event.get("event_type") != "agent.custody_refused":
                self.agent_event(name, event, clip)
            link = links.get(seq)
            if link is None:
                self.problem(f"{name}: event {seq} is not in the audit chain of this package")
            elif link["hash"] != recomputed or link["prev_hash"] != event.get("prev_hash"):
                self.problem(f"{name}: event {seq} differs from the audit chain's event {seq}")
        for link in links.values():
            if link["owner"] == name and link["seq"] not in seen:
                self.problem(
                    f"{name}: event {link['seq']} of this clip is in the chain but missing from its events"
                )
        actual = sha256_file(self.path(f"data/{name}")) if os.path.isfile(self.path(f"data/{name}")) else None
        stated = {
            "the file": actual,
            "the index": clip.get("sha256"),
            "the manifest": (data.get("manifest") or {}).get("sha256"),
            "the receipt": ((data.get("receipt") or {}).get("receipt") or {}).get("sha256"),
        }
        stored = [e for e in data.get("events", []) if e.get("event_type") == "clip.stored"]
        if stored:
            stated["the stored event"] = json.loads(stored[-1]["detail"]).get("sha256")
        if len(set(stated.values())) != 1:
            self.problem(f"{name}: SHA-256 disagrees: " + ", ".join(f"{k} {v}" for k, v in stated.items()))
        self.sidecars(name, data)
        receipt = data.get("receipt")
        if receipt is None:
            self.problem(f"{name}: no signed receipt")
        elif key is None:
            self.problem(f"{name}: receipt cannot be checked: no server public key in the package")
        elif not verify_signed(key, receipt, "receipt"):
            self.problem(f"{name}: the receipt's signature is not valid for the server's key")
        return len(data.get("events", []))

    def sidecars(self, name: str, data: dict) -> None:
        """Each related file (sidecar) of the clip: the file, the custody record and the signed
        receipt must agree on its SHA-256 and size, and none the receipt names may be missing."""
        listed = data.get("related") or []
        receipted = {
            r.get("name"): r for r in ((data.get("receipt") or {}).get("receipt") or {}).get("related") or []
        }
        for item in listed:
            rel = f"data/{item.get('path')}"
            actual = sha256_file(self.path(rel)) if os.path.isfile(self.path(rel)) else None
            signed = receipted.get(item.get("name"), {})
            stated = {
                "the file": actual,
                "the custody record": item.get("sha256"),
                "the receipt": signed.get("sha256"),
            }
            if len(set(stated.values())) != 1:
                self.problem(
                    f"{name}: sidecar {item.get('name')} ({rel}): SHA-256 disagrees: "
                    + ", ".join(f"{k} {v}" for k, v in stated.items())
                )
            elif signed.get("size") != item.get("size") or os.path.getsize(self.path(rel)) != item.get(
                "size"
            ):
                self.problem(f"{name}: sidecar {item.get('name')} ({rel}): size disagrees with the receipt")
        missing = sorted(set(receipted) - {item.get("name") for item in listed})
        if missing:
            self.problem(
                f"{name}: sidecar(s) in the signed receipt but not in this package: {', '.join(missing)}"
            )
        self.sidecar_count += len(listed)

    def checkpoints(self, links: dict[int, dict], key: bytes | None) -> None:
        if not os.path.exists(self.path("data/custody/checkpoints.json")):
            self.problem("data/custody/checkpoints.json is missing: the chain is anchored nowhere")
            return
        found = self.read_json("data/custody/checkpoints.json") or []
        if not found:
            self.problem("no signed checkpoint covers the events of this package")
        for signed in found:
            body = signed.get("checkpoint", {})
            seq = body.get("seq")
            if key is None or not verify_signed(key, signed, "checkpoint"):
                self.problem(f"checkpoint at event {seq}: its signature is not valid for the server's key")
                continue
            link = links.get(seq)
            if link is None:
                self.problem(f"checkpoint at event {seq}: the chain in this package does not reach it")
            elif link["hash"] != body.get("hash"):
                self.problem(f"checkpoint at event {seq}: the chain's event {seq} has a different hash")
            else:
                self.facts.append(f"checkpoint at event {seq} ({body.get('at')}) signed and matched")
        if links and found and max(links) > max(s.get("checkpoint", {}).get("seq", 0) for s in found):
            self.problem("the chain in this package goes past its last checkpoint")

    def run(self) -> bool:
        self.manifests()
        key = None
        try:
            with open(self.path("data/custody/receipt-key.pem"), encoding="ascii") as f:
                key = public_key_from_pem(f.read())
        except (OSError, ValueError) as exc:
            self.problem(f"data/custody/receipt-key.pem: {exc}")
        self.load_device_keys()
        links = self.chain()
        events = clips = 0
        folder = self.path("data/custody")
        for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            if name.endswith(".custody.json"):
                events += self.clip(f"data/custody/{name}", links, key)
                clips += 1
        if clips == 0:
            self.problem("no clip custody record (data/custody/*.custody.json)")
        self.checkpoints(links, key)
        self.facts.append(f"recomputed {events} custody event(s) of {clips} clip(s), checked their receipts")
        self.facts.append(
            f"checked {self.agent_signatures} custody event(s) signed by the car against its key"
        )
        self.facts.append(
            f"checked {self.sidecar_count} sidecar file(s) against their custody records and receipts"
        )
        return not self.problems


def main(argv: list[str]) -> int:
    here = os.path.dirname(os.path.abspath(__file__))  # <bag>/data/custody
    root = argv[1] if len(argv) > 1 else os.path.dirname(os.path.dirname(here))
    check = Check(root)
    ok = check.run()
    for fact in check.facts:
        print(f"  ok: {fact}")
    for problem in check.problems:
        print(f"  PROBLEM: {problem}")
    if ok:
        print("VERIFIED: every file, custody event, receipt and checkpoint in this package checks out.")
        return 0
    print(f"NOT VERIFIED: {len(check.problems)} problem(s) found (listed above).")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
