"""The analysis engine: syntax records, name resolution and the facts rules read."""
