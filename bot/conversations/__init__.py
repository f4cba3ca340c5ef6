"""Conversation tests as data: what a person sends and what must come back (`backline test`)."""
