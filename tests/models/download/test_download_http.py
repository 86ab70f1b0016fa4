"""The download byte stream (urllib3) over TLS and through proxies, as the real Hub is reached."""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import os

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from models.download import http as download_http
from models.download.fetch import RetryPolicy, fetch_to_part
from models.errors import HubError
from tests.support.fake_hub import DEMO_REPO as REPO
from tests.support.fake_hub import FakeHub, FakeRepo

BODY = bytes(range(256)) * 4096  # 1 MiB
NAME = "model-Q4_K_M.gguf"
ONCE = RetryPolicy(attempts=1, base_delay_s=0.01)


@pytest.fixture
def fresh_pools(monkeypatch):
    """Pools are made once per proxy; these tests change the environment they are made from."""
    monkeypatch.setattr(download_http, "_pools", {})
    for var in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy",
                "ALL_PROXY", "all_proxy", "SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(var, raising=False)


def _serve(tls: tuple[str, str] | None = None) -> FakeHub:
    hub = FakeHub()
    hub.add(FakeRepo(REPO, {NAME: BODY}))
    if tls:
        hub.use_tls(*tls)
    return hub.start()


def _fetch(url: str, tmp_path) -> str:
    return fetch_to_part(download_http.open_stream, url, tmp_path / "x.part", len(BODY), NAME, retry=ONCE)


def _self_signed(tmp_path) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    certfile, keyfile = tmp_path / "cert.pem", tmp_path / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return str(certfile), str(keyfile)


def test_https_download_trusts_the_roots_httpx_trusts(fresh_pools, monkeypatch, tmp_path):
    certfile, keyfile = _self_signed(tmp_path)
    hub = _serve((certfile, keyfile))
    url = f"{hub.url}/{REPO}/resolve/main/{NAME}"
    opened = []

    def counting_open(u, headers):
        opened.append(u)
        return download_http.open_stream(u, headers)

    try:
        with pytest.raises(HubError, match="TLS certificate was refused.*SSL_CERT_FILE"):  # unknown: refused...
            fetch_to_part(counting_open, url, tmp_path / "x.part", len(BODY), NAME,
                          retry=RetryPolicy(attempts=4, base_delay_s=0.01))
        assert len(opened) == 1  # ...at once: retrying cannot make a certificate trusted
        monkeypatch.setattr(download_http, "_pools", {})
        monkeypatch.setenv("SSL_CERT_FILE", certfile)  # ...until trusted the way httpx is told to
        assert _fetch(url, tmp_path) == hashlib.sha256(BODY).hexdigest()
    finally:
        hub.stop()


def test_proxy_from_the_environment_carries_the_request(fresh_pools, monkeypatch, tmp_path):
    hub = _serve()  # also answers as a forward proxy: the request line carries the whole URL
    monkeypatch.setenv("HTTP_PROXY", hub.url)
    try:
        assert _fetch(f"http://hub.invalid/{REPO}/resolve/main/{NAME}", tmp_path) == hashlib.sha256(BODY).hexdigest()
        assert hub.requests[-1].startswith("http://hub.invalid/")
    finally:
        hub.stop()


def test_loopback_is_never_sent_to_a_proxy(fresh_pools, monkeypatch, tmp_path):
    hub = _serve()
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    try:
        assert _fetch(f"{hub.url}/{REPO}/resolve/main/{NAME}", tmp_path) == hashlib.sha256(BODY).hexdigest()
    finally:
        hub.stop()


def test_tls_records_are_joined_into_larger_chunks(fresh_pools, monkeypatch, tmp_path):
    certfile, keyfile = _self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", certfile)
    hub = FakeHub()
    hub.write_size = 1 << 20
    body = os.urandom(4 << 20)
    hub.add(FakeRepo(REPO, {NAME: body}))
    hub.use_tls(certfile, keyfile)
    hub.start()
    try:
        response = download_http.open_stream(f"{hub.url}/{REPO}/resolve/main/{NAME}", {})
        chunks = list(response.chunks())
        response.close()
    finally:
        hub.stop()
    assert b"".join(chunks) == body
    assert len(chunks) <= len(body) // (64 << 10)  # one read per 16 KiB TLS record would give 256
