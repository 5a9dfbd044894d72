"""The incident bot process: configuration, plans, lifecycle service, wiring and CLI."""
