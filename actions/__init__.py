"""Integrations: one module per outside service, each start/resolve step an async function."""
