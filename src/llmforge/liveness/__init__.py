"""Which server process streams an answer, and whether that process still lives."""
