"""Scoring the first stage: every term's postings at once, and the best of several fields."""
