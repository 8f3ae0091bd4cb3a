"""The client's address behind a known number of reverse proxies."""

import ipaddress


def client_address(peer: str, forwarded_for: str, *, trusted_proxies: int) -> str:
    """The address of whoever connected to the first of our `trusted_proxies` proxies.

    Each proxy appends the address it received the request from to `X-Forwarded-For`, so
    the client is the entry `trusted_proxies` from the right; anything left of it was
    written by the client and proves nothing. A request with fewer entries than we have
    proxies did not come through all of them: we keep the peer's address (that of the
    connection), as we do for an entry that is not an IP address.
    """
    if trusted_proxies <= 0:
        return peer
    entries = [entry.strip() for entry in forwarded_for.split(",") if entry.strip()]
    if len(entries) < trusted_proxies:
        return peer
    candidate = entries[-trusted_proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return peer
