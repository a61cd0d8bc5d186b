"""Performance guards: query counts that must not grow with the data (no N+1)."""
