"""Downloads refuse every address but public ones (SSRF), on every hop, and stay within limits.

The HTTP server these tests talk to runs on 127.0.0.1 inside the test; only
``allow_loopback`` (a test-only setting) lets a fetch reach it. Redirects to
private and metadata addresses are refused before any connection is made, so
nothing ever leaves this machine.
"""
from __future__ import annotations

import ipaddress
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

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
