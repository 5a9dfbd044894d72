"""One way to call an HTTP API with httpx: timeouts, and failures sorted into permanent and transient."""

from __future__ import annotations

from typing import Any

import httpx

from bot.errors import IntegrationError, TransientError


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def check(service: str, response: httpx.Response, what: str) -> dict[str, Any]:
    """The JSON body of a 2xx answer; otherwise TransientError (429, 5xx) or IntegrationError."""
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientError(service, f"http_{response.status_code}", what, retry_after=retry_after(response))
    if response.status_code >= 400:
        raise IntegrationError(service, f"http_{response.status_code}", f"{what}: {_reason(response)}")
    if not response.content:
        return {}
    try:
        data = response.json()
    except ValueError:
        raise TransientError(service, "bad_response", f"{what}: not JSON") from None
    return data if isinstance(data, dict) else {"items": data}


def _reason(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(data, dict):
        for key in ("message", "reason", "error_description", "errorMessages", "error"):
            if data.get(key):
                return str(data[key])[:200]
    return str(data)[:200]


async def send(
    service: str, client: httpx.AsyncClient, method: str, url: str, what: str, **kwargs: Any
) -> httpx.Response:
    """Send a request; connection errors and timeouts become TransientError."""
    try:
        return await client.request(method, url, **kwargs)
    except httpx.TimeoutException:
        raise TransientError(service, "timeout", what) from None
    except httpx.TransportError as exc:
        raise TransientError(service, type(exc).__name__, what) from None
