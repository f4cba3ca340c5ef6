"""Backline: red-flag triage and calf-lumbar coaching over a YAML-driven conversation engine."""
