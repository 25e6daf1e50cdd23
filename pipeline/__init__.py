"""Read and parse scraped pages into records (`CodePage`); knows nothing of the index."""
