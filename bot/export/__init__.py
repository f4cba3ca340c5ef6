"""Exports of everything stored about a person: a portable JSON file and a PDF summary. Pure."""
