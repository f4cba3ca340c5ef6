"""Inputs and outputs as plain data: an inbox payload for each input, an outbox row for each output."""

from __future__ import annotations

from typing import Any

from bot.engine import Answered, Button, Document, Message, Outcome, Output, Photo, Press, Refused, Text
from bot.service import Command, Input, Stale, Unsupported
from bot.storage.outbox import Draft, Row

ACK = "ack"  # a press acknowledged (Telegram: answerCallbackQuery), with a short notice or none


def payload(
    item: Input, context: dict[str, Any] | None = None, language: str | None = None
) -> dict[str, Any]:
    """The inbox payload of an input; `context` is what the channel needs to answer it (kept opaque);
    `language` the channel's guess at the person's language (Telegram's language_code)."""
    match item:
        case Command(name):
            data: dict[str, Any] = {"command": name}
        case Text(text):
            data = {"text": text}
        case Press(answer, ref):
            data = {"press": answer, "ref": ref}
        case Unsupported(kind):
            data = {"unsupported": kind}
        case Stale():
            data = {"stale": True}
        case _:
            raise TypeError(f"not an input: {item!r}")
    return data | ({"context": context} if context else {}) | ({"language": language} if language else {})


def input_of(data: dict[str, Any]) -> Input:
    if "command" in data:
        return Command(data["command"])
    if "text" in data:
        return Text(data["text"])
    if "press" in data:
        return Press(data["press"], data.get("ref"))
    if "stale" in data:
        return Stale()
    return Unsupported(data.get("unsupported", "message"))


def drafts(item: Input, outputs: list[Output], context: dict[str, Any] | None) -> list[Draft]:
    """The rows a step's outputs become: a press is acknowledged first (with the refusal, if refused)."""
    rows: list[Draft] = []
    pressed = isinstance(item, Press | Stale)
    if pressed:
        notice = next((o for o in outputs if isinstance(o, Refused)), None)
        rows.append(
            Draft(
                ACK,
                {
                    "text": notice.text if notice else None,
                    "key": notice.key if notice else None,
                    "context": context or {},
                },
            )
        )
    for out in outputs:
        draft = draft_of(out, context)
        if draft is not None and not (pressed and isinstance(out, Refused)):
            rows.append(draft)
    return rows


def draft_of(out: Output, context: dict[str, Any] | None = None) -> Draft | None:
    match out:
        case Message():
            return Draft(
                "message",
                {
                    "text": out.text,
                    "buttons": [[b.id, b.label] for b in out.buttons],
                    "screens": list(out.screens),
                    "ref": out.ref,
                    "key": out.key,
                },
                ref=out.ref,
            )
        case Refused():
            return Draft("refused", {"text": out.text, "key": out.key})
        case Answered():
            return Draft("answered", {"ref": out.ref, "label": out.label, "context": context or {}})
        case Photo():
            return Draft("photo", {"caption": out.caption}, blob=out.data)
        case Document():
            return Draft(
                "document",
                {"filename": out.filename, "mime": out.mime, "caption": out.caption},
                blob=out.data,
            )
        case Outcome():
            return Draft("outcome", {"outcome": out.outcome, "flags": list(out.flags)})
    return None  # actions are carried out by the step, not said


def output_of(row: Row) -> Output | None:
    """The output a row stands for (for channels that show outputs as they are; an ack shows its notice)."""
    body = row.body
    match row.kind:
        case "message":
            return Message(
                body["text"],
                tuple(Button(i, label) for i, label in body["buttons"]),
                tuple(body.get("screens", ())),
                body.get("ref"),
                body.get("key"),
            )
        case "refused":
            return Refused(body["text"], body.get("key"))
        case "answered":
            return Answered(body["ref"], body["label"])
        case "photo":
            return Photo(row.blob or b"", body.get("caption", ""))
        case "document":
            return Document(body["filename"], body["mime"], row.blob or b"", body.get("caption", ""))
        case "outcome":
            return Outcome(body["outcome"], tuple(body.get("flags", ())))
        case "ack":
            return Refused(body["text"], body.get("key")) if body.get("text") else None
    return None
