"""Is a server listening? One TCP connect, before a run sends anything.

Used by HTTP backends' ``preflight``: a server that is down is reported in a second,
before any stage runs, instead of after the index is built. Where an HTTP(S) proxy
applies to the URL (``HTTPS_PROXY`` and friends, as the HTTP client honours them), the
proxy is what must listen.
"""

from __future__ import annotations

import socket
import urllib.parse
import urllib.request

from synthesizrr.errors import BackendError, ConfigError

_DEFAULT_PORTS = {"http": 80, "https": 443}


def _endpoint(url: str, field: str) -> tuple[str, int, str]:
    """(host, port, what is connected to) for ``url``, through a proxy where one applies."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ConfigError(
            f"{field} '{url}' is not an http(s) URL.",
            fix=f"write {field} as http://HOST:PORT/v1 (or https://...)",
        )
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(parts.hostname):
        p = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        if p.hostname:
            port = p.port or _DEFAULT_PORTS.get(p.scheme, 80)
            return p.hostname, port, f"the proxy {p.hostname}:{port}"
    try:
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
    except ValueError as exc:  # a port that is not a number or out of range
        raise ConfigError(f"{field} '{url}': {exc}.", fix=f"fix the port in {field}") from None
    return parts.hostname, port, f"{parts.hostname}:{port}"


def check_reachable(url: str, *, field: str = "llm.base_url", timeout_s: float = 5.0) -> None:
    """Raise :class:`BackendError` (exit 6) unless a TCP connection to ``url`` opens."""
    host, port, target = _endpoint(url, field)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return
    except ConnectionRefusedError:
        why = f"connection refused to {target}"
    except TimeoutError:
        why = f"{target} did not answer within {timeout_s:g} s"
    except socket.gaierror as exc:
        why = f"the host name '{host}' does not resolve ({exc.strerror})"
    except OSError as exc:
        why = f"cannot connect to {target} ({exc.strerror or exc})"
    raise BackendError(
        f"{field} '{url}' is not reachable ({why}).",
        fix=f"start the server or correct {field} (a dry run, `generate --dry-run`, "
        "needs no server)",
    )
