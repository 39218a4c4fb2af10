"""Lessons and the harness they use. Never imports FastAPI."""
