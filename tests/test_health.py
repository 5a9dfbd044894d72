"""The health server: its three endpoints, and a busy port that is never fatal."""

from __future__ import annotations

import socket

import httpx

from bot.health import HealthServer
from bot.telemetry import Telemetry


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_endpoints_and_a_leader_without_its_connection() -> None:
    state = {"ok": True, "text": "leader (epoch 3): Socket Mode connected"}

    async def ready() -> tuple[bool, str]:
        return bool(state["ok"]), str(state["text"])

    async def refresh() -> None:
        telemetry.set_incidents({("active", "P1"): 2, ("resolved", "P2"): 5})

    telemetry = Telemetry()
    server = HealthServer(free_port(), ready, telemetry, refresh, host="127.0.0.1")
    await server.start()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
            assert (await client.get("/healthz")).text == "ok\n"
            ready_response = await client.get("/readyz")
            assert ready_response.status_code == 200 and "Socket Mode connected" in ready_response.text
            state.update(ok=False, text="leader (epoch 3): Socket Mode not connected")
            assert (await client.get("/readyz")).status_code == 503
            metrics = (await client.get("/metrics")).text
            assert 'incident_bot_incidents{level="P1",state="active"} 2.0' in metrics
            assert 'incident_bot_incidents{level="all",state="resolved"} 5.0' in metrics
    finally:
        await server.stop()


async def test_a_busy_port_is_logged_not_fatal() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]

        async def ready() -> tuple[bool, str]:
            return True, "standby"

        async def refresh() -> None:
            return None

        server = HealthServer(port, ready, Telemetry(), refresh, host="127.0.0.1")
        await server.start()  # does not raise
        await server.stop()
