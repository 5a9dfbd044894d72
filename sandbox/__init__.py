"""Emulators of the outside services (real HTTP/websocket servers on 127.0.0.1) for tests and trials."""
