"""Transports over the same service: terminal chat, JSON Lines simulator, Telegram."""
