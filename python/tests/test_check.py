"""Client.check against engagelab-mock: a typed report of the live API's
answers, the differences from what the library assumes named, refused
credentials reported rather than raised, and no DELETE ever sent."""

from __future__ import annotations

import http.server
import json
import threading

import pytest
from conftest import APP_KEY, SECRET, Mock, client_for
from engagelab_push import CheckReport, Client, InvalidArgumentError


def only_gets(mock: Mock) -> bool:
    log = mock.log()
    return bool(log) and all(r["method"] == "GET" for r in log)


def test_the_default_mock_answers_as_assumed(mock: Mock) -> None:
    mock.add_device("py-dev")
    report = client_for(mock).check(device="py-dev")
    assert isinstance(report, CheckReport)
    assert report.credentials_accepted is True
    assert report.base_url == mock.url
    assert report.region is None
    assert report.tls_version is None
    assert report.address is not None and report.address.startswith("127.0.0.1:")
    assert report.rtt > 0
    assert report.clock_skew_s is not None and abs(report.clock_skew_s) <= 30
    assert report.rate_limit_headers == {}
    assert report.findings == ()
    kinds = [p["kind"] for p in report.probes]
    assert kinds == ["unknown_device", "unknown_alias", "device"]
    unknown = report.probes[0]
    assert (unknown["http_status"], unknown["api_code"]) == (400, 27002)
    assert unknown["classification"] == "NOT_FOUND" and unknown["as_expected"] is True
    assert json.loads(report.to_json())["credentials_accepted"] is True
    assert "no difference" in str(report)
    assert only_gets(mock) and mock.devices() == ["py-dev"]


def test_differences_are_named(mock: Mock) -> None:
    mock.config(
        unknown_device={"status": 404, "body": '{"error":{"code":404,"message":"not found"}}'},
        date_offset_s=-3600,
    )
    report = client_for(mock).check()
    codes = [code for code, _ in report.findings]
    assert codes == ["unknown_device_answer", "clock_skew"]
    assert "behind" in report.findings[1][1]
    assert only_gets(mock)


def test_refused_credentials_are_reported_not_raised(mock: Mock) -> None:
    report = client_for(mock, secret="not-the-secret").check()
    assert report.credentials_accepted is False
    assert report.findings[0][0] == "credentials_refused"
    assert "not-the-secret" not in report.to_json() + str(report) + repr(report)


def test_a_bad_device_id_is_refused_before_sending(mock: Mock) -> None:
    with pytest.raises(InvalidArgumentError):
        client_for(mock).check(device="a b")
    with pytest.raises(TypeError):
        client_for(mock).check(device=7)  # type: ignore[arg-type]
    assert mock.log() == []


def serving_everything(
    status: int, content_type: str, body: bytes
) -> tuple[str, http.server.ThreadingHTTPServer]:
    """A loopback server answering every request with `status` and `body`;
    returns its base URL and the server (to shut down)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_DELETE = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server


def test_a_website_answering_200_to_everything_accepts_no_credentials() -> None:
    # A wrong base URL whose host answers 200 with a web page to every path
    # used to be "credentials accepted" (the CLI: "the setup works").
    url, server = serving_everything(200, "text/html", b"<html><body>Welcome</body></html>")
    try:
        report = Client(APP_KEY, SECRET, base_url=url).check()
    finally:
        server.shutdown()
    assert report.credentials_accepted is False, str(report)
    assert report.findings[0][0] == "not_the_api", str(report)
    assert json.loads(report.to_json())["credentials_accepted"] is False


def test_a_bare_403_is_refused_without_saying_not_checked() -> None:
    url, server = serving_everything(403, "text/plain", b"Forbidden")
    try:
        report = Client(APP_KEY, SECRET, base_url=url).check()
    finally:
        server.shutdown()
    codes = [code for code, _ in report.findings]
    assert report.credentials_accepted is False
    assert codes[:2] == ["credentials_refused", "auth_answer"], str(report)
    assert "not_the_api" not in codes, str(report)
