"""Button callback data, signed so that a forged or another person's press is recognised."""
from __future__ import annotations

import base64
import hashlib
import hmac

from bot.engine import Press


class CallbackSigner:
    """`ref:answer:signature`, the signature binding both to the person it was sent to (<= 64 bytes)."""

    def __init__(self, token: str):
        self._key = hashlib.sha256(f"callback:{token}".encode()).digest()

    def _sign(self, user_id: int, ref: str, answer: str) -> str:
        mac = hmac.new(self._key, f"{user_id}:{ref}:{answer}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:9]).decode()

    def data(self, user_id: int, ref: str, answer: str) -> str:
        return f"{ref}:{answer}:{self._sign(user_id, ref, answer)}"

    def press(self, user_id: int, data: str | None) -> Press | None:
        """The press this data stands for, or None if it was not made for this person."""
        parts = (data or "").split(":")
        if len(parts) != 3:
            return None
        ref, answer, signature = parts
        if not hmac.compare_digest(signature, self._sign(user_id, ref, answer)):
            return None
        return Press(answer, ref)
