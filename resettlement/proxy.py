"""The reverse proxy in front of the application, and what it may tell it.

Behind a proxy every request comes from the proxy's address, and the proxy says in
`X-Forwarded-For` whom it came from and in `X-Forwarded-Proto` whether it arrived over
HTTPS. Anyone can send those headers, so they are believed only from the proxies named in
`DJANGO_TRUSTED_PROXIES` (addresses or networks): from there the client's address replaces
the proxy's in `REMOTE_ADDR` — which the login lockout and the public pages' rate limits
count by — and from anywhere else both headers are dropped before anything reads them,
`SECURE_PROXY_SSL_HEADER` included. `manage.py check --deploy` refuses
`DJANGO_SECURE_PROXY_SSL_HEADER=1` with no proxy named (resettlement.checks).

With no proxy named (the embedded default) requests are left as they are.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# What a proxy reports about the original request; believed only from a trusted proxy.
FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO")


def parse_networks(values: Iterable[str]) -> list[Network]:
    """`DJANGO_TRUSTED_PROXIES` entries: single addresses or networks (CIDR)."""
    try:
        return [ipaddress.ip_network(value, strict=False) for value in values]
    except ValueError as exc:
        raise ImproperlyConfigured(f"DJANGO_TRUSTED_PROXIES: {exc}") from exc


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


class TrustedProxyMiddleware:
    """Second in MIDDLEWARE, before SecurityMiddleware reads the scheme."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.proxies = parse_networks(settings.TRUSTED_PROXIES)

    def _trusted(self, text: str) -> bool:
        address = _address(text)
        return address is not None and any(address in network for network in self.proxies)

    def _client(self, forwarded_for: str) -> str | None:
        """The nearest address in the chain that is not one of our proxies: anything to its
        left was written by the client and proves nothing."""
        for hop in reversed(forwarded_for.split(",")):
            address = _address(hop)
            if address is None:
                return None
            if not self._trusted(hop):
                return str(address)
        return None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.proxies:
            meta = request.META
            if self._trusted(meta.get("REMOTE_ADDR", "")):
                client = self._client(meta.get("HTTP_X_FORWARDED_FOR", ""))
                if client:
                    meta["REMOTE_ADDR"] = client
            else:
                for header in FORWARDED_HEADERS:
                    meta.pop(header, None)
        return self.get_response(request)
