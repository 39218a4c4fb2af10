"""procviz: a live web dashboard that makes Python multiprocessing visible."""

__version__ = "0.2.0"
