"""Parse, rank and present searches over a published index."""
