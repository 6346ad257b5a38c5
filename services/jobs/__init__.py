"""Background jobs: the queues (queue.py) and enqueueing after the commit (service.py)."""
