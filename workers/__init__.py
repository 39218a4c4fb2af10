"""The lessons (lecture scripts) and the tracer every process of a run loads. Never imports
FastAPI."""
