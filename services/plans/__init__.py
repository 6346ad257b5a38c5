"""Plans: what each tier allows, and a user's current plan (service.py)."""
