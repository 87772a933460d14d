"""Gas City (`gc`): finding a city, its supervisor API, `gc` calls, its tmux server, events."""
