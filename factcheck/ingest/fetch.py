"""Download a web page or file without becoming a proxy into our own network (SSRF).

A URL typed by a user makes *our server* open a connection, so every hop is
checked before we connect:

1. Only ``http``/``https`` URLs without credentials.
2. The host name is resolved once; every address it resolves to must be a
   public unicast address. Private, loopback, link-local, shared (CGNAT),
   multicast, reserved and unspecified ranges are refused, as are the cloud
   metadata services, and IPv6 forms that embed an IPv4 address
   (IPv4-mapped, 6to4, Teredo, NAT64) are judged by that IPv4 address.
3. The connection goes to the address that was checked (urllib3 with the pool
   host set to the IP), while the ``Host`` header, TLS SNI and certificate
   check use the name: there is no second DNS lookup that a rebinding attacker
   could answer differently. Certificates are checked against the operating
   system's CA store (``FetchPolicy.ca_file`` replaces it, for tests).
4. Redirects are followed by hand, at most ``max_redirects`` times, and each
   hop goes through the same checks.
5. The body is read in small pieces against a byte limit (after decompression)
   and an overall deadline, so a huge or trickling response cannot tie a worker
   up.

``allow_loopback`` exists for the test suite only (it lets tests fetch from a
server they start on 127.0.0.1); every other refusal stays in force with it.
Environment proxy variables are ignored on purpose: a proxy would resolve the
name again, out of our control.
"""
from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote, urljoin, urlsplit

import urllib3

from factcheck.ingest import FetchFailed, FetchRefused

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_REDIRECTS = {301, 302, 303, 307, 308}
_CHUNK = 64 * 1024

#: Cloud metadata and host-agent endpoints, refused by name in the error message.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",  # AWS, GCP, Azure, DigitalOcean, OpenStack
    "169.254.170.2",  # AWS ECS task metadata
    "100.100.100.200",  # Alibaba Cloud
    "192.0.0.192",  # Oracle Cloud
    "168.63.129.16",  # Azure host agent (a public-looking address)
    "fd00:ec2::254",  # AWS over IPv6
))

# Special-purpose ranges that ``ipaddress`` counts as global in some Python versions.
_EXTRA_BLOCKED = tuple(ipaddress.ip_network(n) for n in (
    "192.0.0.0/24",  # IETF protocol assignments
    "198.18.0.0/15",  # benchmarking
    "100.64.0.0/10",  # shared address space (carrier-grade NAT)
))
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


@dataclass(frozen=True)
class FetchPolicy:
    """Limits for one download; ``from_settings`` is the normal constructor."""

    timeout: float = 20.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    allow_loopback: bool = False
    user_agent: str = "factcheck"
    #: PEM file of the certificate authorities trusted for HTTPS, instead of the
    #: operating system's store (what urllib3 loads by default; certifi is not used).
    #: Tests point it at a throwaway CA; with it set, *only* these authorities count.
    ca_file: str | None = None

    @classmethod
    def from_settings(cls, settings) -> "FetchPolicy":
        return cls(timeout=settings.fetch_timeout, max_bytes=settings.fetch_max_bytes,
                   max_redirects=settings.fetch_max_redirects, allow_loopback=settings.fetch_allow_loopback,
                   user_agent=f"factcheck (+{settings.organization_url})")


@dataclass(frozen=True)
class FetchedResource:
    requested_url: str
    url: str  # after redirects
    content_type: str  # as the server declared it; the type is sniffed from the bytes later
    body: bytes
    fetched_at: datetime


def refusal_reason(ip: IPAddress, *, allow_loopback: bool = False) -> str | None:
    """Why we never connect to ``ip``, or None when it is a public unicast address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return refusal_reason(embedded, allow_loopback=allow_loopback)
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata service"
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address (this server itself)"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_unspecified or ip.is_reserved:
        return "a reserved address"
    if ip.is_private or any(ip in network for network in _EXTRA_BLOCKED if network.version == ip.version):
        return "a private network address"
    if not ip.is_global:
        return "a non-public address"
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]  # the client address
    if any(ip in network for network in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # without brackets
    port: int
    path: str  # path and query
    host_header: str


def _target(url: str) -> _Target:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise FetchRefused(f"{url!r} is not a valid URL.", {"url": "invalid"}) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchRefused("Only http:// and https:// web addresses can be fetched.", {"url": "invalid"})
    if parts.username or parts.password:
        raise FetchRefused("URLs with a user name or password are not fetched.", {"url": "credentials"})
    try:
        # Internationalised names travel as ASCII (IDNA) in DNS and in the Host header.
        host = parts.hostname.rstrip(".").encode("idna").decode("ascii")
    except UnicodeError:
        raise FetchRefused(f"{url!r} is not a valid URL.", {"url": "invalid"}) from None
    default_port = 443 if parts.scheme == "https" else 80
    port = port or default_port
    shown_host = f"[{host}]" if ":" in host else host
    host_header = shown_host if port == default_port else f"{shown_host}:{port}"
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    # Non-ASCII characters are percent-encoded; existing escapes and URL syntax stay as they are.
    path = quote(path, safe=":/?#[]@!$&'()*+,;=%~")
    return _Target(parts.scheme, host, port, path, host_header)


def check_url(url: str, *, allow_loopback: bool = False) -> None:
    """Refuse a URL early, without DNS: bad scheme, credentials, or a literal forbidden address.

    For immediate feedback in forms; ``fetch`` repeats every check, with DNS.
    """
    target = _target(url)
    try:
        ip = ipaddress.ip_address(target.host)
    except ValueError:
        if target.host.lower() == "localhost" or target.host.lower().endswith(".localhost"):
            if not allow_loopback:
                raise FetchRefused(f"Refused to fetch {url}: {target.host} is this server itself.",
                                   {"url": "refused"}) from None
        return
    reason = refusal_reason(ip, allow_loopback=allow_loopback)
    if reason:
        raise FetchRefused(f"Refused to fetch {url}: {ip} is {reason}; only public web addresses can be fetched.",
                           {"url": "refused"})


def resolve(host: str, port: int, *, allow_loopback: bool = False) -> IPAddress:
    """Resolve ``host`` once and return an address to connect to; refuse if any address is forbidden."""
    return resolve_all(host, port, allow_loopback=allow_loopback)[0]


def resolve_all(host: str, port: int, *, allow_loopback: bool = False) -> list[IPAddress]:
    """Resolve ``host`` once; every address it has, in the resolver's order, all of them checked.

    Every address must pass, not just the first: a name that also points at a
    private address is not one we want to talk to.
    """
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise FetchFailed(f"Could not find the server {host} ({exc}).", {"url": "unknown host"}) from None
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))
        if not addresses:
            raise FetchFailed(f"Could not find the server {host}.", {"url": "unknown host"})
    for ip in addresses:
        reason = refusal_reason(ip, allow_loopback=allow_loopback)
        if reason:
            raise FetchRefused(f"Refused to fetch from {host}: it resolves to {ip}, {reason}; "
                               "only public web addresses can be fetched.", {"url": "refused"})
    return addresses


def fetch(url: str, policy: FetchPolicy) -> FetchedResource:
    """Download ``url`` within ``policy``; raise ``FetchRefused`` or ``FetchFailed`` with a readable reason."""
    deadline = time.monotonic() + policy.timeout
    current = url.strip()
    for _hop in range(policy.max_redirects + 1):
        target = _target(current)
        addresses = resolve_all(target.host, target.port, allow_loopback=policy.allow_loopback)
        response = _open_first(target, addresses, policy, deadline)
        try:
            if response.status in _REDIRECTS:
                location = response.headers.get("Location")
                if not location:
                    raise FetchFailed(f"{current} redirects without saying where to.", {"url": "bad redirect"})
                current = urljoin(current, location)
                continue
            if response.status != 200:
                raise FetchFailed(f"The server answered {response.status} {response.reason or ''} for {current}."
                                  .replace("  ", " "), {"url": f"HTTP {response.status}"},
                                  http_status=response.status, url=current)
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > policy.max_bytes:
                raise _too_large(policy)
            body = _read_limited(response, policy, deadline)
            return FetchedResource(requested_url=url, url=current,
                                   content_type=response.headers.get("Content-Type", ""),
                                   body=body, fetched_at=datetime.now(timezone.utc))
        finally:
            response.close()  # one connection per hop, never reused for another host
    raise FetchFailed(f"Too many redirects (more than {policy.max_redirects}).", {"url": "too many redirects"})


def _open_first(target: _Target, addresses: list[IPAddress], policy: FetchPolicy, deadline: float):
    """Open a connection to the first checked address that accepts one.

    Only "nothing listens there" moves on to the next address (a site whose
    IPv6 address is listed first, on a network without IPv6); every address
    was checked by ``resolve_all``, so the fallback never reaches one that was
    not. A timeout, a TLS failure or an HTTP error ends the attempt: the
    deadline covers the whole fetch.
    """
    for address in addresses[:-1]:
        try:
            return _open(target, address, policy, deadline)
        except FetchFailed as exc:
            if exc.errors != {"url": "unreachable"}:
                raise
            log.info("%s: %s refused the connection; trying its next address.", target.host, address)
    return _open(target, addresses[-1], policy, deadline)


def _open(target: _Target, address: IPAddress, policy: FetchPolicy, deadline: float):
    remaining = _remaining(deadline, policy)
    timeout = urllib3.Timeout(connect=min(remaining, 10.0), read=remaining)
    common = dict(port=target.port, timeout=timeout, retries=False, maxsize=1)
    if target.scheme == "https":
        # Connect to the checked IP; SNI and certificate verification use the name.
        # server_hostname alone does both: OpenSSL checks the name inside the handshake
        # (check_hostname stays on). No assert_hostname on purpose: it turns that check
        # off in favour of urllib3's own match after the handshake, whose failure is a
        # different exception and logs the whole peer certificate as a warning.
        pool = urllib3.HTTPSConnectionPool(str(address), cert_reqs="CERT_REQUIRED", server_hostname=target.host,
                                           ca_certs=policy.ca_file, **common)
    else:
        pool = urllib3.HTTPConnectionPool(str(address), **common)
    headers = {
        "Host": target.host_header,
        "User-Agent": policy.user_agent,
        "Accept": "text/html,application/xhtml+xml,application/pdf,text/plain;q=0.9,*/*;q=0.5",
        "Accept-Encoding": "gzip, deflate",
    }
    try:
        return pool.urlopen("GET", target.path, headers=headers, redirect=False, retries=False,
                            preload_content=False, assert_same_host=False)
    except urllib3.exceptions.NewConnectionError:
        # Checked before TimeoutError: urllib3 2 makes a refused connection a subclass of
        # ConnectTimeoutError, which would read "did not answer in time".
        raise FetchFailed(f"Could not connect to {target.host}: nothing accepts connections at {address} "
                          f"on port {target.port}.", {"url": "unreachable"}) from None
    except urllib3.exceptions.TimeoutError:
        raise FetchFailed(f"{target.host} did not answer in time.", {"url": "timeout"}) from None
    except urllib3.exceptions.SSLError as exc:
        raise _tls_failure(target.host, exc) from None
    except urllib3.exceptions.HTTPError as exc:
        raise FetchFailed(f"Could not connect to {target.host} ({_short(exc)}).", {"url": "connection"}) from None


# OpenSSL's verification results (X509_V_ERR_*) in words for the person who typed the URL.
_UNTRUSTED = "it is not issued by a certificate authority we trust"
_CERTIFICATE_PROBLEMS = {
    2: _UNTRUSTED, 18: _UNTRUSTED, 19: _UNTRUSTED, 20: _UNTRUSTED, 21: _UNTRUSTED,
    9: "it is not valid yet",
    10: "it has expired",
    23: "it has been revoked",
    62: "it was issued for a different site",
    64: "it was issued for a different address",
}


def _tls_failure(host: str, exc: urllib3.exceptions.SSLError) -> FetchFailed:
    """A readable reason for a failed handshake.

    ``str(exc)`` is OpenSSL's text with C source positions ("[SSL:
    CERTIFICATE_VERIFY_FAILED] ... (_ssl.c:1006)"), which means nothing to a
    fact-checker; the ssl exception urllib3 wraps says what actually went wrong.
    """
    cause = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc.__context__
    if isinstance(cause, ssl.SSLCertVerificationError):
        detail = (cause.verify_message or "").rstrip(".")
        reason = _CERTIFICATE_PROBLEMS.get(cause.verify_code) or detail or "it could not be verified"
        if reason == _UNTRUSTED and detail:
            # Which link of the chain is missing helps whoever has to fix the site.
            reason += f" ({detail})"
        return FetchFailed(f"The certificate of {host} was not accepted: {reason}. "
                           "Nothing was downloaded.", {"url": "certificate"})
    if isinstance(cause, ssl.SSLError) and cause.reason == "WRONG_VERSION_NUMBER":
        # What OpenSSL says when the answer is not TLS at all, usually plain HTTP.
        reason = "the server does not seem to speak HTTPS on this port"
    elif isinstance(cause, ssl.SSLError) and cause.reason:
        reason = cause.reason.replace("_", " ").lower()
    else:
        reason = _short(exc)
    return FetchFailed(f"The secure connection to {host} failed ({reason}).", {"url": "tls"})


def _read_limited(response, policy: FetchPolicy, deadline: float) -> bytes:
    chunks, size = [], 0
    try:
        while True:
            _remaining(deadline, policy)
            # read1 returns after at most one socket read, so the deadline is checked often.
            chunk = response.read1(_CHUNK, decode_content=True)
            if not chunk:
                break
            size += len(chunk)
            if size > policy.max_bytes:
                raise _too_large(policy)
            chunks.append(chunk)
    except urllib3.exceptions.TimeoutError:
        raise FetchFailed("The download stalled.", {"url": "timeout"}) from None
    except urllib3.exceptions.HTTPError as exc:
        raise FetchFailed(f"The download broke off ({_short(exc)}).", {"url": "connection"}) from None
    return b"".join(chunks)


def _remaining(deadline: float, policy: FetchPolicy) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise FetchFailed(f"The download took longer than {policy.timeout:g} seconds.", {"url": "timeout"})
    return remaining


def _too_large(policy: FetchPolicy) -> FetchFailed:
    return FetchFailed(f"The document is larger than {policy.max_bytes / 1_048_576:.1f} MB, the download limit.",
                       {"url": "too large"})


def _short(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or exc
    return str(reason).split(": ", 1)[-1][:200]
