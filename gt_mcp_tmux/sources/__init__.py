"""Sources read and parse; each returns typed records or a typed failure and never raises."""
