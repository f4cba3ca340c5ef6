"""The Telegram adapter: python-telegram-bot over the Backline service."""
