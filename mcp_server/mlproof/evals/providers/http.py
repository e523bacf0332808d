"""Shared HTTP plumbing for the chat providers: keys, base URLs, bounded retries."""

from __future__ import annotations

import asyncio
import os

import httpx

from mlproof.errors import MlproofError

RETRY_STATUSES = {408, 409, 429, 500, 502, 503, 504, 529}
MAX_ATTEMPTS = 4
FATAL_STATUSES = {400: "rejected the request", 401: "rejected the API key", 403: "refused access", 404: "does not know this endpoint or model"}


class EpisodeError(Exception):
    """A provider failure that spoils one episode but not the whole eval (recorded in the transcript)."""


class ProviderUnreachable(EpisodeError):
    """The provider could not be reached at all; when that happens before any answer, nothing can be measured."""


def require_env(name: str, provider: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise MlproofError(f"The {provider} provider needs an API key in the {name} environment variable.")
    return value


async def post_json(client: httpx.AsyncClient, url: str, headers: dict[str, str], body: dict, provider: str) -> dict:
    """POST and return the JSON reply; retry transient failures a bounded number of times."""
    delay = 1.0
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            response = await client.post(url, headers=headers, json=body)
        except httpx.HTTPError as err:
            if attempt == MAX_ATTEMPTS:
                raise ProviderUnreachable(f"{provider} at {url} could not be reached ({type(err).__name__}).") from err
        else:
            if response.status_code < 300:
                try:
                    return response.json()
                except ValueError as err:
                    raise EpisodeError(f"{provider} returned a reply that is not JSON.") from err
            if response.status_code in FATAL_STATUSES:
                detail = _error_detail(response)
                raise MlproofError(f"{provider} {FATAL_STATUSES[response.status_code]} (HTTP {response.status_code}{detail}).")
            if response.status_code not in RETRY_STATUSES or attempt == MAX_ATTEMPTS:
                raise EpisodeError(f"{provider} answered HTTP {response.status_code}{_error_detail(response)}.")
            retry_after = response.headers.get("retry-after", "")
            if retry_after.replace(".", "", 1).isdigit():
                delay = min(float(retry_after), 30.0)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 30.0)
    raise EpisodeError(f"{provider} did not answer after {MAX_ATTEMPTS} attempts.")  # pragma: no cover - loop always returns or raises


def _error_detail(response: httpx.Response) -> str:
    """The provider's own error message, shortened to one line."""
    try:
        payload = response.json()
    except ValueError:
        return ""
    error = payload.get("error") if isinstance(payload, dict) else None
    message = error.get("message") if isinstance(error, dict) else error if isinstance(error, str) else None
    if not message:
        return ""
    return ": " + " ".join(str(message).split())[:200]
