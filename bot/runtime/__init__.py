"""The channel-neutral runtime: inbox worker, outbox dispatcher, scheduler, purge; adapters plug into it."""

from bot.runtime.channel import Channel
from bot.runtime.runtime import Runtime

__all__ = ["Channel", "Runtime"]
