"""Scheduled cleanup: what has outlived its use, deleted hourly by the worker and by `python -m dreampixel cleanup`."""
