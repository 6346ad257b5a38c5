"""Status changes pushed to whoever watches: see service.py."""
