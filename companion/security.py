"""Who may talk to the companion: Host and Origin allowlists, bearer token, pairing codes, rate limits."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from collections import deque
from pathlib import Path

EXTENSION_ID = "ifhljjdpodblmggbldmmbfehokgpcnec"  # fixed by the manifest's "key"
CHROMIUM_ORIGIN = f"chrome-extension://{EXTENSION_ID}"
PAIRING_TTL = 300
PAIRING_ATTEMPTS = 5


def write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (0600), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)


def load_or_create_token(path: Path) -> str:
    """The long-lived API token, created on first use (mode 0600)."""
    if path.is_file():
        token = path.read_text().strip()
        if token:
            return token
    token = secrets.token_urlsafe(32)
    write_private(path, token)
    return token


def tokens_match(presented: str, expected: str) -> bool:
    return hmac.compare_digest(presented.encode(), expected.encode())


def allowed_hosts(port: int) -> set[str]:
    return {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}


class Pairing:
    """One-time 6-digit codes shared through a 0600 file, so ``inflow pair`` works beside ``serve``."""

    def __init__(self, path: Path, ttl: int = PAIRING_TTL, attempts: int = PAIRING_ATTEMPTS):
        self.path = path
        self.ttl = ttl
        self.max_attempts = attempts
        self.lock = threading.Lock()

    @staticmethod
    def _digest(code: str, salt: str) -> str:
        return hashlib.sha256(f"{salt}:{code}".encode()).hexdigest()

    def issue(self) -> str:
        code = f"{secrets.randbelow(1_000_000):06d}"
        salt = secrets.token_hex(8)
        state = {"salt": salt, "digest": self._digest(code, salt), "expires": time.time() + self.ttl, "attempts": 0}
        write_private(self.path, json.dumps(state))
        return code

    def redeem(self, code: str) -> tuple[bool, str]:
        """Check a code: (True, "") once, or (False, why). Wrong guesses are counted; the code dies after
        the limit, on expiry and on success."""
        with self.lock:
            try:
                state = json.loads(self.path.read_text())
            except (OSError, ValueError):
                return False, "no pairing code is active; run `inflow pair`"
            if time.time() > state["expires"]:
                self.path.unlink(missing_ok=True)
                return False, "the pairing code has expired; run `inflow pair` again"
            if hmac.compare_digest(self._digest(code, state["salt"]), state["digest"]):
                self.path.unlink(missing_ok=True)
                return True, ""
            state["attempts"] += 1
            if state["attempts"] >= self.max_attempts:
                self.path.unlink(missing_ok=True)
                return False, "too many wrong codes; run `inflow pair` again"
            write_private(self.path, json.dumps(state))
            return False, "wrong pairing code"


class RateLimiter:
    """A sliding-window limit of requests per key (route group) per minute."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self.hits: dict[str, deque] = {}
        self.lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self.lock:
            window = self.hits.setdefault(key, deque())
            while window and now - window[0] > 60:
                window.popleft()
            if len(window) >= self.per_minute:
                return False
            window.append(now)
            return True
