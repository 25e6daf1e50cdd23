"""Re-ranking the first stage's candidates with features the index cannot score."""
