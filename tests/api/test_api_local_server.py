"""`prakerja local up`'s HTTP server, over real sockets, with what a hostile or broken
client sends (issue 12, finding 8): every request gets an answer in the one error shape,
as API Gateway would give, none is a 5xx, the connection is closed after a body that was
not read, and bytes of a refused body are never parsed as another request."""

from __future__ import annotations

import json
import re
import socket
import threading
import time

import pytest

from prakerja.local import credentials
from prakerja.local.server import free_port
from prakerja_flow import config

TIMEOUT = 10.0


@pytest.fixture(scope="module")
def local_up():
    from prakerja.local.server import up

    port, aws_port = free_port(), free_port()
    ready, stop, clouds = threading.Event(), threading.Event(), []
    server = threading.Thread(
        target=up,
        args=(port, aws_port, 3600.0, None),
        kwargs={"ready": lambda cloud: (clouds.append(cloud), ready.set()), "stop": stop},
        daemon=True,
    )
    server.start()
    assert ready.wait(60), "local up did not start"
    yield port, clouds[0]
    stop.set()
    server.join(30)
    assert not server.is_alive()


@pytest.fixture
def port(local_up):
    return local_up[0]


def connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    return sock


# How long a kept-alive connection must stay quiet, after its answers, to count as open.
QUIET = 1.5


def read_until_closed(sock: socket.socket, quiet: float = TIMEOUT) -> tuple[bytes, bool]:
    """Everything the server sends until it closes the connection (True) or goes quiet
    for `quiet` seconds with the connection open (False)."""
    sock.settimeout(quiet)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except TimeoutError:
        return data, False
    except ConnectionResetError:
        return data, True
    return data, True


def responses(data: bytes, head: bool = False) -> list[tuple[int, dict[str, str], bytes]]:
    """The HTTP/1.1 responses in `data`, in order (bodies by Content-Length)."""
    found = []
    while data:
        header_end = data.index(b"\r\n\r\n")
        status_line, *lines = data[:header_end].decode("latin-1").split("\r\n")
        status = int(status_line.split(" ")[1])
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
        length = 0 if head else int(headers.get("content-length", 0))
        found.append((status, headers, data[header_end + 4 : header_end + 4 + length]))
        data = data[header_end + 4 + length :]
    return found


def read_response(sock: socket.socket) -> bytes:
    """One whole response (headers and Content-Length bytes of body) from an open connection."""
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        buffer += sock.recv(65536)
    length = int(re.search(rb"(?i)\r\ncontent-length: *(\d+)", buffer).group(1))
    while len(buffer) < buffer.index(b"\r\n\r\n") + 4 + length:
        buffer += sock.recv(65536)
    return buffer


def one_error_shape(status: int, headers: dict, body: bytes, code: str) -> dict:
    assert headers.get("content-type", "").startswith("application/json"), headers
    got = json.loads(body)
    assert set(got) == {"error"} and set(got["error"]) == {"code", "message", "request_id"}, got
    assert got["error"]["code"] == code and got["error"]["message"], got
    assert status < 500
    return got


def request_bytes(
    method: str, path: str, body: bytes = b"", headers: dict | None = None, signed: bool = False
) -> bytes:
    headers = {"Host": "127.0.0.1", **(headers or {})}
    if signed:
        headers.update(credentials.signed_headers(method, path, body or None))
    if body and "Transfer-Encoding" not in headers:
        headers.setdefault("Content-Length", str(len(body)))
    return (
        f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    ).encode() + body


# --- malformed framing -------------------------------------------------------------------


@pytest.mark.parametrize("length", [b"abc", b"-1", b"1\xb2", b"+5", b"0x10", b"5, 5", b""])
def test_a_bad_content_length_is_400_in_the_one_shape_and_the_connection_closes(port, length):
    with connect(port) as sock:
        sock.sendall(
            b"POST /participants HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
            + length
            + b"\r\n\r\n{}"
        )
        data, closed = read_until_closed(sock)
    assert closed, "the server kept the connection open (or hung) after a bad Content-Length"
    ((status, headers, body),) = responses(data)
    assert status == 400
    one_error_shape(status, headers, body, "BadRequest")


@pytest.mark.parametrize("size", [config.MAX_REQUEST_BODY_BYTES + 1, 64 * 1024 + 1, 1_000_000])
def test_an_oversized_body_is_413_unread_and_its_bytes_are_never_a_request(port, size):
    smuggled = b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n"
    with connect(port) as sock:
        sock.sendall(
            request_bytes(
                "POST", "/participants", headers={"Content-Type": "application/json", "Content-Length": str(size)}
            )
            + smuggled * 4
        )
        data, closed = read_until_closed(sock)
    assert closed, "the connection stayed open after an unread body"
    ((status, headers, body),) = responses(data)
    one_error_shape(status, headers, body, "PayloadTooLarge")
    assert status == 413 and b"openapi" not in data


def test_a_body_of_exactly_the_limit_is_read(port):
    body = json.dumps({"actor": "a" * 10, "reason": "x"}).encode()
    body = body[:-1] + b" " * (config.MAX_REQUEST_BODY_BYTES - len(body)) + b"}"
    assert len(body) == config.MAX_REQUEST_BODY_BYTES
    with connect(port) as sock:
        sock.sendall(request_bytes("POST", "/waves/41/open", body, {"Content-Type": "application/json"}, signed=True))
        data = read_response(sock)
    ((status, _, got),) = responses(data)
    assert status == 200, got


@pytest.mark.parametrize(
    "line",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /openapi.json HTTP/1.1 extra\r\n\r\n",
        b"GET  HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /openapi.json HTTP/1.1\r\nBad Header\r\n\r\n",
    ],
)
def test_a_malformed_request_is_400_in_the_one_shape(port, line):
    with connect(port) as sock:
        sock.sendall(line)
        data, closed = read_until_closed(sock)
    assert closed
    ((status, headers, body),) = responses(data)
    assert status == 400
    one_error_shape(status, headers, body, "BadRequest")


def test_oversized_headers_are_refused_in_the_one_shape(port):
    with connect(port) as sock:
        sock.sendall(
            request_bytes("GET", "/openapi.json", headers={"X-Padding": "x" * (config.API_MAX_HEADER_BYTES + 1)})
        )
        data, closed = read_until_closed(sock)
    assert closed
    ((status, headers, body),) = responses(data)
    assert status == 400
    one_error_shape(status, headers, body, "BadRequest")


def test_an_unsupported_transfer_encoding_is_400_not_501(port):
    with connect(port) as sock:
        sock.sendall(
            request_bytes(
                "POST", "/participants", b"{}", {"Content-Type": "application/json", "Transfer-Encoding": "gzip"}
            )
        )
        data, closed = read_until_closed(sock)
    ((status, headers, body),) = responses(data)
    assert status == 400
    one_error_shape(status, headers, body, "BadRequest")


# --- methods outside the API ------------------------------------------------------------------


@pytest.mark.parametrize("method", ["TRACE", "OPTIONS", "DELETE", "PATCH", "CONNECT", "PROPFIND"])
def test_methods_without_a_route_are_404_route_not_found_in_the_one_shape(port, method):
    with connect(port) as sock:
        sock.sendall(
            request_bytes(
                method, "/participants/P1", b"{}" if method == "PATCH" else b"", {"Content-Type": "application/json"}
            )
        )
        data = read_response(sock)
    ((status, headers, body),) = responses(data)
    assert status == 404
    one_error_shape(status, headers, body, "RouteNotFound")


def test_head_is_answered_without_a_body_and_the_connection_stays_usable(port):
    with connect(port) as sock:
        sock.sendall(request_bytes("HEAD", "/openapi.json"))
        time.sleep(0.5)
        sock.sendall(request_bytes("GET", "/openapi.json"))
        data, closed = read_until_closed(sock, QUIET)
    assert not closed, "keep-alive: the server closed a healthy connection"
    head = data[: data.index(b"\r\n\r\n") + 4]
    ((status, headers, body),) = responses(head, head=True)
    assert status == 404 and headers["content-type"].startswith("application/json")
    ((status, _, spec),) = responses(data[len(head) :])
    assert status == 200 and json.loads(spec)["openapi"]


# --- bodies -------------------------------------------------------------------------------------


def chunked(body: bytes, size: int = 7) -> bytes:
    parts = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in parts) + b"0\r\n\r\n"


def test_a_chunked_body_is_assembled_and_matches_its_signature(port):
    body = json.dumps({"actor": "chunked", "reason": "transfer-encoding"}).encode()
    headers = {
        "Content-Type": "application/json",
        "Transfer-Encoding": "chunked",
        **credentials.signed_headers("POST", "/waves/42/open", body),
    }
    with connect(port) as sock:
        sock.sendall(request_bytes("POST", "/waves/42/open", headers=headers) + chunked(body))
        data = read_response(sock)
    ((status, _, got),) = responses(data)
    assert status == 200 and json.loads(got)["status"] == "OPEN", got


def test_an_oversized_chunked_body_is_413_and_closes(port):
    body = b"{" + b" " * (config.MAX_REQUEST_BODY_BYTES + 10) + b"}"
    smuggled = b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n"
    with connect(port) as sock:
        sock.sendall(
            request_bytes(
                "POST", "/participants", headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
            )
            + chunked(body, 4096)
            + smuggled
        )
        data, closed = read_until_closed(sock)
    assert closed
    ((status, headers, got),) = responses(data)
    assert status == 413
    one_error_shape(status, headers, got, "PayloadTooLarge")


def test_a_client_that_disconnects_mid_body_changes_nothing_and_the_server_goes_on(local_up):
    port, cloud = local_up
    cloud.settle()
    before = sorted(json.dumps(item, sort_keys=True) for item in cloud.scan())
    body = json.dumps({"actor": "gone", "reason": "disconnected"}).encode()
    with connect(port) as sock:
        sock.sendall(
            request_bytes(
                "POST",
                "/waves/43/open",
                headers={
                    "Content-Type": "application/json",
                    "Content-Length": str(len(body)),
                    **credentials.signed_headers("POST", "/waves/43/open", body),
                },
            )
            + body[:10]
        )
    time.sleep(0.5)
    assert sorted(json.dumps(item, sort_keys=True) for item in cloud.scan()) == before
    with connect(port) as sock:
        sock.sendall(request_bytes("GET", "/openapi.json", headers={"Connection": "close"}))
        data, _ = read_until_closed(sock)
    assert responses(data)[0][0] == 200


def test_a_text_plain_body_is_415_in_the_one_shape(port):
    body = json.dumps({"actor": "x", "reason": "y"}).encode()
    with connect(port) as sock:
        sock.sendall(request_bytes("POST", "/waves/44/open", body, {"Content-Type": "text/plain"}, signed=True))
        data = read_response(sock)
    ((status, headers, got),) = responses(data)
    assert status == 415
    one_error_shape(status, headers, got, "UnsupportedMediaType")


def test_deep_json_is_422_over_http_and_the_connection_stays(port):
    body = b'{"a":' * 2_500 + b"1" + b"}" * 2_500
    with connect(port) as sock:
        sock.sendall(request_bytes("POST", "/participants", body, {"Content-Type": "application/json"}, signed=True))
        time.sleep(1)
        sock.sendall(request_bytes("GET", "/openapi.json"))
        data, closed = read_until_closed(sock, QUIET)
    assert not closed
    first, second = responses(data)
    one_error_shape(*first, code="ValidationError")
    assert first[0] == 422 and second[0] == 200


def test_keep_alive_serves_many_requests_on_one_connection(port):
    with connect(port) as sock:
        for _ in range(5):
            sock.sendall(request_bytes("GET", "/openapi.json"))
            assert responses(read_response(sock))[0][0] == 200


def test_swagger_ui_is_served_as_html(port):
    with connect(port) as sock:
        sock.sendall(request_bytes("GET", "/swagger", headers={"Connection": "close"}))
        data, _ = read_until_closed(sock)
    ((status, headers, page),) = responses(data)
    assert status == 200 and headers["content-type"].startswith("text/html") and b"swagger-ui" in page.lower()
