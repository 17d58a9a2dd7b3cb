"""HTTP plumbing shared by the HTTP-based adapters: one session with retries, one error mapping.

Retries (urllib3 `Retry`) cover connection errors, read timeouts and 5xx answers with exponential
backoff, for every method: the adapters make every call safe to repeat (idempotency keys, ids in the
payload), so a POST may be retried. When the retries are spent the call raises
`JournalUnavailableError` — the pipeline keeps the message and tries again later.

A `Retry-After` header is not honoured by these short in-call retries: urllib3 would sleep as long
as the server asks (up to hours) inside `session.request`, while the pipeline holds its lock. The
waits stay those of `backoff`; a journal that wants a longer pause gets it from the pipeline's own
retry schedule once the call has raised `JournalUnavailableError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from digidialog.adapters.config import AdapterConfig
from digidialog.errors import JournalUnavailableError, Location

RETRY_STATUSES = frozenset({500, 502, 503, 504})
#: The config keys every HTTP adapter reads (see `HttpClient.from_config`).
CONFIG_KEYS = ("base_url", "token", "timeout", "retries", "backoff", "verify")


def retrying_session(
    *,
    retries: int = 3,
    backoff: float = 0.5,
    verify: bool | str = True,
    statuses: frozenset[int] = RETRY_STATUSES,
) -> requests.Session:
    """A session that retries connection errors, read timeouts and `statuses` `retries` times."""
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        allowed_methods=None,  # every method: our calls are idempotent by design
        status_forcelist=statuses,
        backoff_factor=backoff,
        raise_on_status=False,  # hand back the last 5xx so the caller can read its body
        # Never sleep what the server's Retry-After asks (urllib3 allows up to 6 h per retry)
        # while the caller waits: longer pauses are the pipeline's backoff (see module doc).
        respect_retry_after_header=False,
    )
    session = requests.Session()
    session.verify = verify
    mount = HTTPAdapter(max_retries=retry)
    session.mount("http://", mount)
    session.mount("https://", mount)
    return session


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    timeout: float,
    headers: Mapping[str, str] | None = None,
    data: bytes | None = None,
    params: Mapping[str, str] | None = None,
) -> requests.Response:
    """One call; network failures and timeouts (after retries) become `JournalUnavailableError`,
    and so does a redirect: it is not followed (requests would repeat a POST as a GET without
    its body, and read the page found there as the journal's answer)."""
    try:
        response = session.request(
            method,
            url,
            headers=dict(headers or {}),
            data=data,
            params=dict(params or {}),
            timeout=timeout,
            allow_redirects=False,
        )
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise JournalUnavailableError(
            f"{method} {url}: the journal did not answer ({type(exc).__name__})",
            location=Location(url),
            hint="the journal system is down or slow; the message is kept and retried",
        ) from exc
    except requests.RequestException as exc:
        raise JournalUnavailableError(f"{method} {url}: {exc}", location=Location(url)) from exc
    if response.is_redirect:
        raise JournalUnavailableError(
            f"{method} {url}: {response.status_code} redirect to "
            f"{response.headers.get('Location')!r}, not followed",
            location=Location(url),
            hint="set the adapter's base_url to the journal's final address; the message is "
            "kept and retried",
        )
    return response


class HttpClient:
    """What every HTTP adapter's client holds: its base URL, its token and one retrying session.

    A vendor client subclasses it and adds `call`; `retry_statuses` names the answers it retries.
    """

    retry_statuses: frozenset[int] = RETRY_STATUSES

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.5,
        verify: bool | str = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._token = token
        self._session = retrying_session(
            retries=retries, backoff=backoff, verify=verify, statuses=self.retry_statuses
        )

    @classmethod
    def from_config(cls, adapter: str, config: Mapping[str, Any]) -> Self:
        """The client for adapter `adapter` from `base_url`, `token` and optional retry settings."""
        cfg = AdapterConfig(adapter, config)
        return cls(
            cfg.text("base_url"),
            cfg.text("token"),
            timeout=cfg.number("timeout", 10.0),
            retries=cfg.integer("retries", 3),
            backoff=cfg.number("backoff", 0.5),
            verify=cfg.tls_verify(),
        )

    def close(self) -> None:
        self._session.close()
