"""Local stand-ins for services the suite cannot reach (the hosted image providers)."""
