"""make bench: figures measured in one run (see README)."""
