"""The official code sets at query time: a code's status on a date, for hits, filters and show."""
