"""A Slack emulator: Web API, Socket Mode and a workspace that people can act in."""

from sandbox.slack.server import SlackEmulator

__all__ = ["SlackEmulator"]
