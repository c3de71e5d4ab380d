"""Downloads refuse every address but public ones (SSRF), on every hop, and stay within limits.

The HTTP server these tests talk to runs on 127.0.0.1 inside the test; only
``allow_loopback`` (a test-only setting) lets a fetch reach it. Redirects to
private and metadata addresses are refused before any connection is made, so
nothing ever leaves this machine.
"""
from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import trustme

from factcheck.ingest import FetchFailed, FetchRefused
from factcheck.ingest.fetch import FetchPolicy, check_url, fetch, refusal_reason

ARTICLE_HTML = b"""<!doctype html><html><head><title>Tide gauges | Coast News</title>
<meta name="author" content="Ana Lima"><meta property="og:site_name" content="Coast News">
<meta property="article:published_time" content="2025-06-02"></head>
<body><nav>Home - Climate - Sport</nav><article><h1>Tide gauges show faster rise</h1>
<p>Sea levels along the coast rose by 9 centimetres between 1993 and 2023, the national tide gauge network said on Monday.</p>
<p>The rate of rise has doubled since the 1990s, according to the report, which used 40 gauges.</p>
<p>City officials said a new sea wall would be finished in 2027. <script>alert("x")</script></p>
</article><footer>Copyright Coast News</footer></body></html>"""


class _Handler(BaseHTTPRequestHandler):
    """Routes: /page, /redirect?to=URL, /loop, /big, /chunked-big, /slow, /missing, /host, /file?name=..."""

    files: dict[str, tuple[str, bytes]] = {}
    requests: list[str] = []

    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):  # noqa: N802 - http.server's naming
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        self.requests.append(self.path)
        if parts.path == "/page":
            self._send(200, ARTICLE_HTML, "text/html; charset=utf-8")
        elif parts.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", query["to"][0])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif parts.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif parts.path == "/big":
            self._send(200, b"x" * 4096, "text/plain")
        elif parts.path == "/chunked-big":
            # No Content-Length: the limit must hold while reading.
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            for _ in range(64):
                self.wfile.write(b"y" * 1024)
        elif parts.path == "/slow":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "100")
            self.end_headers()
            for _ in range(20):  # bounded: at most 2 s
                try:
                    self.wfile.write(b"z")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.1)
        elif parts.path == "/host":
            self._send(200, f"<html><body><p>Host header: {self.headers['Host']}</p></body></html>".encode(),
                       "text/html")
        elif parts.path == "/file" and query.get("name", [""])[0] in self.files:
            content_type, body = self.files[query["name"][0]]
            self._send(200, body, content_type)
        else:
            self._send(404, b"not found", "text/plain")

    def _send(self, status: int, body: bytes, content_type: str):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def local_server():
    """An HTTP server on 127.0.0.1 for this test; yields its base URL."""
    _Handler.requests = []
    _Handler.files = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


LOOPBACK_ONLY = FetchPolicy(timeout=5, max_bytes=1_000_000, max_redirects=3, allow_loopback=True)


@pytest.mark.parametrize("address, reason", [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.0.0.1", "private"), ("172.16.5.4", "private"),
    ("192.168.1.1", "private"), ("169.254.169.254", "metadata"), ("169.254.10.10", "link-local"),
    ("100.100.100.200", "metadata"), ("100.64.0.1", "private"), ("192.0.0.192", "metadata"),
    ("fd00:ec2::254", "metadata"), ("fe80::1", "link-local"), ("fc00::1", "private"), ("224.0.0.1", "multicast"),
    ("ff02::1", "multicast"), ("0.0.0.0", "reserved"), ("::", "reserved"), ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"), ("198.18.0.1", "private"), ("2001:db8::1", "private"),
    # IPv6 forms that carry an IPv4 address are judged by it.
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"), ("::ffff:169.254.169.254", "metadata"),
    ("2002:0a00:0001::", "private"), ("64:ff9b::a00:1", "private"), ("64:ff9b::a9fe:a9fe", "metadata"),
])
def test_non_public_addresses_are_refused(address, reason):
    assert reason in refusal_reason(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "8.8.8.8",
                                     "::ffff:8.8.8.8"])
def test_public_addresses_are_allowed(address):
    assert refusal_reason(ipaddress.ip_address(address)) is None


def test_the_test_flag_opens_loopback_only():
    for address in ("127.0.0.1", "::1", "::ffff:127.0.0.1"):
        assert refusal_reason(ipaddress.ip_address(address), allow_loopback=True) is None
    for address in ("10.0.0.1", "169.254.169.254", "fd00:ec2::254", "::ffff:10.0.0.1"):
        assert refusal_reason(ipaddress.ip_address(address), allow_loopback=True) is not None


@pytest.mark.parametrize("url, words", [
    ("ftp://example.org/file", "Only http"), ("file:///etc/passwd", "Only http"), ("http://", "Only http"),
    ("http://user:secret@example.org/", "user name or password"), ("http://127.0.0.1/", "loopback"),
    ("http://localhost:8080/", "this server itself"), ("http://[::1]/", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"), ("http://10.0.0.1/", "private"),
    ("http://[::ffff:a9fe:a9fe]/", "metadata"), ("http://example.org:99999/", "not a valid URL"),
])
def test_check_url_refuses_at_once(url, words):
    with pytest.raises(FetchRefused, match=words):
        check_url(url)


def test_loopback_is_refused_by_default_and_nothing_is_requested(local_server):
    with pytest.raises(FetchRefused, match="loopback"):
        fetch(f"{local_server}/page", FetchPolicy(timeout=5))
    assert _Handler.requests == []


def test_fetch_follows_redirects_and_keeps_the_final_url(local_server):
    resource = fetch(f"{local_server}/redirect?to=/page", LOOPBACK_ONLY)
    assert resource.url == f"{local_server}/page"
    assert resource.requested_url == f"{local_server}/redirect?to=/page"
    assert resource.body == ARTICLE_HTML and resource.content_type.startswith("text/html")
    assert resource.fetched_at.tzinfo is not None


@pytest.mark.parametrize("target, words", [
    ("http://169.254.169.254/latest/meta-data/iam/", "metadata"),
    ("http://10.0.0.1/admin", "private"),
    ("http://[::ffff:10.0.0.1]/", "private"),
    ("http://[fd00:ec2::254]/", "metadata"),
    ("gopher://10.0.0.1/", "Only http"),
])
def test_a_redirect_to_a_forbidden_address_is_refused(local_server, target, words):
    # The first hop (127.0.0.1) is allowed by the test flag; the second hop is not.
    with pytest.raises(FetchRefused, match=words):
        fetch(f"{local_server}/redirect?to={target}", LOOPBACK_ONLY)
    assert len(_Handler.requests) == 1  # only the first hop reached a server


def test_a_name_resolving_to_a_private_address_is_refused_before_connecting(monkeypatch):
    calls = []

    def fake_getaddrinfo(host, port, *args, **kwargs):
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.1.2.3", port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    with pytest.raises(FetchRefused, match="resolves to 10.1.2.3"):
        fetch("http://intranet.example/", LOOPBACK_ONLY)
    assert calls == ["intranet.example"]


def test_a_name_with_one_private_address_among_public_ones_is_refused(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port, *a, **k: [
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))])
    with pytest.raises(FetchRefused, match="metadata"):
        fetch("http://mixed.example/", FetchPolicy(timeout=5))


def test_the_connection_goes_to_the_checked_address_with_the_original_host_header(local_server, monkeypatch):
    """The name is resolved once per hop: a different answer to a second lookup would never be used.

    The later answers are 127.0.0.2, where nothing listens: had the client
    looked the name up again to connect, the fetch would fail.
    """
    port = int(local_server.rsplit(":", 1)[1])
    real_getaddrinfo = socket.getaddrinfo
    answers = iter(["127.0.0.1", "127.0.0.2", "127.0.0.2"])
    calls = []

    def rebinding_getaddrinfo(host, port_, *args, **kwargs):
        if host != "news.test":
            return real_getaddrinfo(host, port_, *args, **kwargs)
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port_))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding_getaddrinfo)
    resource = fetch(f"http://news.test:{port}/host", LOOPBACK_ONLY)
    assert calls == ["news.test"]
    assert f"Host header: news.test:{port}".encode() in resource.body


def test_too_many_redirects(local_server):
    with pytest.raises(FetchFailed, match="Too many redirects"):
        fetch(f"{local_server}/loop", LOOPBACK_ONLY)


@pytest.mark.parametrize("path", ["/big", "/chunked-big"])
def test_size_limit_with_and_without_content_length(local_server, path):
    policy = FetchPolicy(timeout=5, max_bytes=2048, allow_loopback=True)
    with pytest.raises(FetchFailed, match="larger than"):
        fetch(f"{local_server}{path}", policy)


def test_time_limit_covers_a_trickling_body(local_server):
    started = time.monotonic()
    with pytest.raises(FetchFailed, match="longer than|stalled|did not answer"):
        fetch(f"{local_server}/slow", FetchPolicy(timeout=0.5, allow_loopback=True))
    assert time.monotonic() - started < 2


def test_error_status_is_reported(local_server):
    with pytest.raises(FetchFailed, match="404"):
        fetch(f"{local_server}/missing", LOOPBACK_ONLY)


def test_unknown_host_is_a_clear_error(monkeypatch):
    def no_such_host(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    with pytest.raises(FetchFailed, match="Could not find the server nowhere.example"):
        fetch("https://nowhere.example/", FetchPolicy(timeout=5))


# --- HTTPS ------------------------------------------------------------------------------------------------
#
# For HTTPS the fetcher connects to the address it checked, yet the TLS handshake must
# still carry the *name*: as SNI (so a shared server picks the right certificate) and as
# the identity the certificate is checked against. These tests run a real TLS server on
# 127.0.0.1 with certificates from a throwaway CA (trustme), make test names resolve to
# it by replacing ``socket.getaddrinfo`` (what ``fetch.resolve`` calls), and record the
# SNI the server received and every address the client connected to.


class _TLSHandler(_Handler):
    """The same routes as the HTTP server, with a request log of its own."""

    requests: list[str] = []


class _TLSServer:
    def __init__(self, leaf: trustme.LeafCert, host: str = "127.0.0.1"):
        self.sni: list[str | None] = []
        self.handshake_errors: list[str] = []
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        leaf.configure_cert(context)
        # Runs during each handshake with the name the client sent (None without SNI).
        context.sni_callback = lambda _sslobj, name, _ctx: self.sni.append(name)
        _TLSHandler.requests = []
        self.requests = _TLSHandler.requests
        server_class = ThreadingHTTPServer if ":" not in host else _IPv6Server
        self.server = server_class((host, 0), _TLSHandler)
        self.server.daemon_threads = True
        # Wrapping the listening socket makes every accepted connection do the server
        # handshake; a handshake the client aborts only drops that connection.
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


@pytest.fixture
def test_ca():
    return trustme.CA()


@pytest.fixture
def tls_server(test_ca):
    """Starts TLS servers for this test: ``tls_server("news.test", ca=..., host=...)``."""
    servers = []

    def start(*identities: str, ca: trustme.CA | None = None, host: str = "127.0.0.1", **cert_options):
        server = _TLSServer((ca or test_ca).issue_cert(*identities, **cert_options), host)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def trusting_policy(test_ca, tmp_path):
    """A loopback-allowing policy that trusts the test CA (and only it)."""
    ca_file = tmp_path / "test-ca.pem"
    test_ca.cert_pem.write_to_path(str(ca_file))
    return FetchPolicy(timeout=5, max_bytes=1_000_000, max_redirects=3, allow_loopback=True, ca_file=str(ca_file))


class _Network:
    """Test names with scripted DNS answers, and a log of where the client really connected."""

    def __init__(self):
        self.answers: dict[str, list[str]] = {}
        self.lookups: list[str] = []  # test names looked up, in order
        self.connections: list[tuple[str, int]] = []

    def answer(self, name: str, *addresses: str):
        """Successive lookups of ``name`` get successive addresses; the last one repeats."""
        self.answers[name] = list(addresses)

    def answer_all(self, name: str, *addresses: str):
        """Every lookup of ``name`` gets all of ``addresses`` at once, in this order."""
        self.answers[name] = [tuple(addresses)]


@pytest.fixture
def network(monkeypatch):
    net = _Network()
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def scripted_getaddrinfo(host, port, *args, **kwargs):
        if host not in net.answers:  # address literals (urllib3 connecting) and everything else
            return real_getaddrinfo(host, port, *args, **kwargs)
        net.lookups.append(host)
        queue = net.answers[host]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        infos = []
        for address in answer if isinstance(answer, tuple) else (answer,):
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, port, 0, 0) if family == socket.AF_INET6 else (address, port)
            infos.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
        return infos

    def recording_connect(sock, address):
        net.connections.append(tuple(address[:2]))
        return real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", scripted_getaddrinfo)
    # socket.socket is a Python subclass of _socket.socket, so its connect can be wrapped;
    # the server side only accepts, so every recorded connect is the fetcher's.
    monkeypatch.setattr(socket.socket, "connect", recording_connect)
    return net


def _assert_readable(message: str):
    # What the user sees must not be a stringified exception chain.
    for fragment in ("_ssl.c", "SSLError(", "Traceback", "Max retries", "[SSL:"):
        assert fragment not in message


def test_https_connects_to_the_checked_ip_and_sends_the_name_as_sni(tls_server, network, trusting_policy):
    server = tls_server("news.test")
    network.answer("news.test", "127.0.0.1")
    resource = fetch(f"https://news.test:{server.port}/host", trusting_policy)
    assert f"Host header: news.test:{server.port}".encode() in resource.body
    assert resource.url == f"https://news.test:{server.port}/host"
    assert server.sni == ["news.test"]  # the name, not 127.0.0.1
    assert network.lookups == ["news.test"]
    assert network.connections == [("127.0.0.1", server.port)]


def test_https_to_localhost_with_a_localhost_certificate(tls_server, network, trusting_policy):
    server = tls_server("localhost")
    # Pinned to 127.0.0.1: the real resolver may list ::1 first, where this server is not.
    network.answer("localhost", "127.0.0.1")
    resource = fetch(f"https://localhost:{server.port}/page", trusting_policy)
    assert resource.body == ARTICLE_HTML
    assert server.sni == ["localhost"]
    assert network.connections == [("127.0.0.1", server.port)]


def test_https_over_ipv6_pins_the_address_and_keeps_the_name(tls_server, network, trusting_policy):
    try:
        server = tls_server("news6.test", host="::1")
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    network.answer("news6.test", "::1")
    resource = fetch(f"https://news6.test:{server.port}/host", trusting_policy)
    assert f"Host header: news6.test:{server.port}".encode() in resource.body
    assert server.sni == ["news6.test"]
    assert network.connections == [("::1", server.port)]


def test_a_certificate_for_another_name_is_refused_with_a_clear_message(tls_server, network, trusting_policy):
    # The certificate is valid, from a trusted CA, and for 127.0.0.1 too: only the name is wrong.
    server = tls_server("other.test", "127.0.0.1")
    network.answer("news.test", "127.0.0.1")
    with pytest.raises(FetchFailed) as failure:
        fetch(f"https://news.test:{server.port}/page", trusting_policy)
    message = str(failure.value)
    assert message.startswith("The certificate of news.test was not accepted: it was issued for a different site")
    _assert_readable(message)
    assert server.requests == []  # nothing was sent over the unverified connection


def test_a_certificate_from_an_untrusted_authority_is_refused(tls_server, network, trusting_policy):
    server = tls_server("news.test", ca=trustme.CA())  # right name, wrong CA
    network.answer("news.test", "127.0.0.1")
    with pytest.raises(FetchFailed) as failure:
        fetch(f"https://news.test:{server.port}/page", trusting_policy)
    message = str(failure.value)
    assert message.startswith("The certificate of news.test was not accepted: "
                              "it is not issued by a certificate authority we trust")
    _assert_readable(message)
    assert server.requests == []


def test_without_a_ca_file_the_system_store_is_used_and_the_test_ca_is_not_in_it(tls_server, network):
    server = tls_server("news.test")
    network.answer("news.test", "127.0.0.1")
    with pytest.raises(FetchFailed) as failure:
        fetch(f"https://news.test:{server.port}/page", LOOPBACK_ONLY)
    assert "not issued by a certificate authority we trust" in str(failure.value)
    assert failure.value.errors == {"url": "certificate"}
    _assert_readable(str(failure.value))
    assert server.requests == []


def test_an_expired_certificate_is_refused(tls_server, network, trusting_policy):
    now = datetime.now(UTC)
    server = tls_server("news.test", not_before=now - timedelta(days=30), not_after=now - timedelta(days=1))
    network.answer("news.test", "127.0.0.1")
    with pytest.raises(FetchFailed) as failure:
        fetch(f"https://news.test:{server.port}/page", trusting_policy)
    assert "The certificate of news.test was not accepted: it has expired" in str(failure.value)
    _assert_readable(str(failure.value))


def test_https_to_a_plain_http_server_is_a_clear_error(local_server, network, trusting_policy):
    port = int(local_server.rsplit(":", 1)[1])
    network.answer("news.test", "127.0.0.1")
    with pytest.raises(FetchFailed, match="secure connection to news.test failed .*not .*speak HTTPS") as failure:
        fetch(f"https://news.test:{port}/page", trusting_policy)
    _assert_readable(str(failure.value))


@pytest.mark.parametrize("target, words", [
    ("http://10.0.0.1/", "private"),
    ("https://169.254.169.254/latest/meta-data/", "metadata"),
    ("https://[fd00:ec2::254]/", "metadata"),
    ("https://[::ffff:192.168.0.1]/", "private"),
    ("https://metadata.test/computeMetadata/v1/", "resolves to 169.254.169.254"),
])
def test_an_https_redirect_to_a_forbidden_address_is_refused_before_connecting(
        tls_server, network, trusting_policy, target, words):
    server = tls_server("news.test")
    network.answer("news.test", "127.0.0.1")
    network.answer("metadata.test", "169.254.169.254")
    with pytest.raises(FetchRefused, match=words):
        fetch(f"https://news.test:{server.port}/redirect?to={target}", trusting_policy)
    assert len(server.requests) == 1
    assert network.connections == [("127.0.0.1", server.port)]  # the second hop never connected


def test_a_rebinding_name_is_looked_up_once_and_the_checked_address_is_used(tls_server, network, trusting_policy):
    """Later answers point at 127.0.0.2 (nothing listens there): a second lookup would break the fetch."""
    server = tls_server("news.test")
    network.answer("news.test", "127.0.0.1", "127.0.0.2")
    resource = fetch(f"https://news.test:{server.port}/page", trusting_policy)
    assert resource.body == ARTICLE_HTML
    assert network.lookups == ["news.test"]
    assert network.connections == [("127.0.0.1", server.port)]
    assert server.sni == ["news.test"]


def test_each_redirect_hop_is_resolved_once_and_rechecked(tls_server, network, trusting_policy):
    """A name that passes on the first hop and rebinds to a private address on the second is refused."""
    server = tls_server("news.test")
    network.answer("news.test", "127.0.0.1", "10.0.0.7")
    with pytest.raises(FetchRefused, match="resolves to 10.0.0.7"):
        fetch(f"https://news.test:{server.port}/redirect?to=/page", trusting_policy)
    assert network.lookups == ["news.test", "news.test"]
    assert network.connections == [("127.0.0.1", server.port)]
    assert server.requests == ["/redirect?to=/page"]


def test_a_same_site_https_redirect_makes_a_fresh_verified_connection(tls_server, network, trusting_policy):
    server = tls_server("news.test")
    network.answer("news.test", "127.0.0.1")
    resource = fetch(f"https://news.test:{server.port}/redirect?to=/host", trusting_policy)
    assert resource.url == f"https://news.test:{server.port}/host"
    assert server.sni == ["news.test", "news.test"]  # one handshake per hop, both with the name
    assert network.lookups == ["news.test", "news.test"]
    assert network.connections == [("127.0.0.1", server.port)] * 2


def test_an_http_page_redirecting_to_https_is_verified_too(local_server, tls_server, network, trusting_policy):
    server = tls_server("other.test")
    network.answer("news.test", "127.0.0.1")
    with pytest.raises(FetchFailed, match="certificate"):
        fetch(f"{local_server}/redirect?to=https://news.test:{server.port}/page", trusting_policy)
    assert server.requests == []


def test_an_address_literal_url_is_checked_against_the_certificate_ip(tls_server, network, trusting_policy):
    # No name to send: SNI is left out for an address (RFC 6066), and the IP must be in the certificate.
    server = tls_server("127.0.0.1")
    resource = fetch(f"https://127.0.0.1:{server.port}/page", trusting_policy)
    assert resource.body == ARTICLE_HTML
    assert server.sni == [None]
    assert network.lookups == [] and network.connections == [("127.0.0.1", server.port)]


def test_an_address_literal_url_with_a_name_only_certificate_is_refused(tls_server, network, trusting_policy):
    server = tls_server("news.test")
    with pytest.raises(FetchFailed, match="certificate of 127.0.0.1 was not accepted: .*different address"):
        fetch(f"https://127.0.0.1:{server.port}/page", trusting_policy)
    assert server.requests == []


def test_an_unreachable_first_address_falls_back_to_the_next_checked_one(tls_server, network, trusting_policy):
    """Nothing listens on 127.0.0.2: the fetch goes on to 127.0.0.1, with the same name for SNI."""
    server = tls_server("news.test")
    network.answer_all("news.test", "127.0.0.2", "127.0.0.1")
    resource = fetch(f"https://news.test:{server.port}/page", trusting_policy)
    assert resource.body == ARTICLE_HTML
    assert network.lookups == ["news.test"]
    assert network.connections == [("127.0.0.2", server.port), ("127.0.0.1", server.port)]
    assert server.sni == ["news.test"]


def test_no_fallback_when_another_address_is_forbidden(network, trusting_policy):
    network.answer_all("news.test", "127.0.0.2", "10.0.0.8")
    with pytest.raises(FetchRefused, match="10.0.0.8"):
        fetch("https://news.test:8443/page", trusting_policy)
    assert network.connections == []


def test_a_refused_connection_says_so(network, trusting_policy):
    network.answer("news.test", "127.0.0.2")
    with pytest.raises(FetchFailed) as failure:
        fetch("http://news.test:9/page", trusting_policy)
    assert "nothing accepts connections at 127.0.0.2 on port 9" in str(failure.value)
    assert "in time" not in str(failure.value)
