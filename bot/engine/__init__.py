"""The pure conversation engine: events in, events out, progress as plain data."""
from bot.engine.events import (Action, Answered, Button, Document, Event, Interrupt, Message, Outcome, Output,
                               Photo, Press, Refused, Repeat, Start, Text)
from bot.engine.progress import Progress
from bot.engine.runner import Engine

__all__ = ["Action", "Answered", "Button", "Document", "Engine", "Event", "Interrupt", "Message", "Outcome",
           "Output", "Photo", "Press", "Progress", "Refused", "Repeat", "Start", "Text"]
