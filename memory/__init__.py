"""Customer memory: profile, atomic facts and summaries (the Memory issue fills this package)."""
