"""Image fetches over real TLS: the pinned address is dialled, but the name is what TLS checks.

A test CA and a certificate for `images.test` are made here (cryptography); a small TLS server
on 127.0.0.1 records the server name each client sent (SNI) and the Host header. Names resolve
through a scripted resolver only, so no fetch could have connected by resolving them itself."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gateway.checks.images.source import ImageSource, trust_store
from gateway.errors import BadRequest
from gateway.services import image_work
from gateway.settings import Settings
from tests.unit.checks.images.test_source import IMAGE, WHERE, ScriptedResolver, routing, source


def _certificate(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name, signer: ec.EllipticCurvePrivateKey,
    *, ca: bool,
) -> x509.Certificate:  # fmt: skip
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
    else:
        names = [x509.DNSName(subject), x509.DNSName("localhost")]  # localhost: for the settings test
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False
        )
    return builder.sign(signer, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A CA (`ca.pem`) and, signed by it, a certificate and key for `images.test`."""
    folder = tmp_path_factory.mktemp("pki")
    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Gateway Test CA")])
    ca = _certificate("Gateway Test CA", ca_key, ca_name, ca_key, ca=True)
    leaf = _certificate("images.test", leaf_key, ca_name, ca_key, ca=False)
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "leaf.pem").write_bytes(leaf.public_bytes(pem))
    (folder / "leaf.key").write_bytes(
        leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return {"ca": folder / "ca.pem", "cert": folder / "leaf.pem", "key": folder / "leaf.key"}


class TlsImageHost:
    """Serves IMAGE over TLS on 127.0.0.1; records (SNI, Host header) of every request."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.seen: list[tuple[str | None, str]] = []
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(cert, key)
        self._names: dict[int, str | None] = {}
        self._context.sni_callback = self._sni
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        threading.Thread(target=self._serve, daemon=True).start()

    def _sni(self, connection: ssl.SSLObject | ssl.SSLSocket, name: str | None, _: ssl.SSLContext) -> None:
        self._names[id(connection)] = name

    def _serve(self) -> None:
        while True:
            try:
                plain, _ = self._listener.accept()
            except OSError:
                return  # closed
            try:
                with self._context.wrap_socket(plain, server_side=True) as tls:
                    head = b""
                    while b"\r\n\r\n" not in head:
                        head += tls.recv(4096) or b"\r\n\r\n"
                    host = next(
                        (line.split(b":", 1)[1].strip().decode() for line in head.split(b"\r\n")
                         if line.lower().startswith(b"host:")), "",
                    )  # fmt: skip
                    self.seen.append((self._names.pop(id(tls), None), host))
                    tls.sendall(
                        b"HTTP/1.1 200 OK\r\ncontent-type: image/png\r\nconnection: close\r\n"
                        + f"content-length: {len(IMAGE)}\r\n\r\n".encode()
                        + IMAGE
                    )
            except (ssl.SSLError, OSError):
                plain.close()  # the client refused our certificate: its side of the test

    def close(self) -> None:
        self._listener.close()


@pytest.fixture(scope="module")
def host(pki: dict[str, Path]) -> Iterator[TlsImageHost]:
    server = TlsImageHost(pki["cert"], pki["key"])
    yield server
    server.close()


def tls_source(resolver: ScriptedResolver, ca: Path | None) -> ImageSource:
    return source(resolver, trust=trust_store(ca))


async def test_the_name_is_sent_as_sni_and_checked_while_the_pinned_address_is_dialled(
    host: TlsImageHost, pki: dict[str, Path]
) -> None:
    origin = f"https://images.test:{host.port}"
    resolver = ScriptedResolver({"images.test": ["127.0.0.1"]})
    body = await tls_source(resolver, pki["ca"]).load(f"{origin}/a.png", routing([origin], [origin]), WHERE)
    assert body == IMAGE
    assert host.seen[-1] == ("images.test", f"images.test:{host.port}")
    assert resolver.asked == ["images.test"]


async def test_a_certificate_for_another_name_is_refused(host: TlsImageHost, pki: dict[str, Path]) -> None:
    """`other.test` resolves to the same server, whose certificate names only `images.test`."""
    origin = f"https://other.test:{host.port}"
    resolver = ScriptedResolver({"other.test": ["127.0.0.1"]})
    served = len(host.seen)
    with pytest.raises(BadRequest, match="could not be fetched \\(ConnectError\\)"):
        await tls_source(resolver, pki["ca"]).load(f"{origin}/a.png", routing([origin], [origin]), WHERE)
    assert len(host.seen) == served  # the handshake failed: no request was sent


async def test_the_public_cas_do_not_vouch_for_a_private_ca(host: TlsImageHost) -> None:
    origin = f"https://images.test:{host.port}"
    resolver = ScriptedResolver({"images.test": ["127.0.0.1"]})
    served = len(host.seen)
    with pytest.raises(BadRequest, match="could not be fetched \\(ConnectError\\)"):
        await tls_source(resolver, None).load(f"{origin}/a.png", routing([origin], [origin]), WHERE)
    assert len(host.seen) == served


def test_an_unreadable_ca_file_is_a_start_up_error(tmp_path: Path) -> None:
    (tmp_path / "empty.pem").write_text("not a certificate\n")
    for path in (tmp_path / "missing.pem", tmp_path / "empty.pem"):
        with pytest.raises(ValueError, match="GATEWAY_IMAGE_FETCH_CA_FILE"):
            trust_store(path)


async def test_the_ca_file_setting_reaches_the_fetcher(host: TlsImageHost, pki: dict[str, Path]) -> None:
    """Through the system's resolver: `localhost` may answer ::1 first, where nothing listens."""
    origin = f"https://localhost:{host.port}"
    allowed = routing([origin], [origin])
    trusted = image_work(Settings.from_env({"GATEWAY_IMAGE_FETCH_CA_FILE": str(pki["ca"])}))
    assert await trusted.source.load(f"{origin}/a.png", allowed, WHERE) == IMAGE
    assert host.seen[-1] == ("localhost", f"localhost:{host.port}")
    with pytest.raises(BadRequest, match="ConnectError"):
        await image_work(Settings.from_env({})).source.load(f"{origin}/a.png", allowed, WHERE)
