"""Readiness of the app's dependencies: database, Redis, storage and image providers."""
