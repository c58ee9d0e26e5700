"""What testssl.sh and sslscan, run directly on a server, report: protocols, cipher suites, certificate.

Both readings are normalised to stackcheck's vocabulary (``"TLS 1.2"``, IANA suite names) so that the sets
can be compared: testssl.sh prints the IANA name of every suite, sslscan its OpenSSL name and code point,
mapped through ``openssl ciphers -V -stdname``.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import shutil
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from accuracy.harness import run_tool

__all__ = ["CertReading", "TlsReading", "run_sslscan", "run_testssl", "weak_suites"]

TESTSSL_PROTOCOLS = {
    "SSLv2": "SSL 2.0",
    "SSLv3": "SSL 3.0",
    "TLS1": "TLS 1.0",
    "TLS1_1": "TLS 1.1",
    "TLS1_2": "TLS 1.2",
    "TLS1_3": "TLS 1.3",
}
TLS13_PREFIXES = ("TLS_AES_", "TLS_CHACHA20_")  # IANA names of TLS 1.3 suites (no key exchange in them)
WEAK_WORDS = ("_NULL", "EXPORT", "RC4", "_DES_", "3DES", "_MD5", "_anon_")


@dataclass(frozen=True)
class CertReading:
    """The leaf certificate as a tool saw it; ``trusted``/``host_ok`` are ``None`` when it does not judge."""

    days_left: float
    self_signed: bool
    trusted: bool | None
    host_ok: bool | None
    key: str
    key_bits: int

    def problems(self, min_days: int, min_rsa_bits: int) -> list[str]:
        """What is wrong with it, in the tool's terms (empty: the tool finds it fine)."""
        found = []
        if self.days_left < 0:
            found.append("expired")
        elif self.days_left < min_days:
            found.append(f"{self.days_left:.0f} days left")
        if self.self_signed:
            found.append("self-signed")
        elif self.trusted is False:
            found.append("chain not trusted")
        if self.host_ok is False:
            found.append("name mismatch")
        if self.key.startswith("RSA") and self.key_bits < min_rsa_bits:
            found.append(f"RSA {self.key_bits} bits")
        return found


@dataclass(frozen=True)
class TlsReading:
    """One tool's view of one server (``error`` says why a part is missing)."""

    tool: str
    protocols: frozenset[str]
    suites: frozenset[tuple[str, str]]  # (protocol, IANA name)
    cert: CertReading | None
    error: str = ""


def weak_suites(suites: frozenset[tuple[str, str]]) -> frozenset[str]:
    """The IANA names, among ``suites``, without forward secrecy or with a broken primitive."""
    weak = set()
    for protocol, name in suites:
        no_fs = protocol != "TLS 1.3" and "_ECDHE_" not in name and "_DHE_" not in name
        if no_fs or any(w.lower() in name.lower() for w in WEAK_WORDS):
            weak.add(name)
    return frozenset(weak)


@functools.cache
def _iana_by_code() -> dict[str, str]:
    out = run_tool(["openssl", "ciphers", "-V", "-stdname", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"], 30).stdout
    table = {}
    for line in out.splitlines():
        m = re.match(r"\s*0x([0-9A-F]{2}),0x([0-9A-F]{2}) - (\S+)", line)
        if m:
            table[f"0x{m[1]}{m[2]}"] = m[3]
    return table


def _days_left(not_after: dt.datetime) -> float:
    return round((not_after - dt.datetime.now(dt.UTC)).total_seconds() / 86400, 1)


def run_sslscan(host: str, port: int, timeout_s: float = 120) -> TlsReading:
    """``sslscan --no-colour --xml=F host:port``."""
    if shutil.which("sslscan") is None:
        return TlsReading("sslscan", frozenset(), frozenset(), None, "sslscan is not installed")
    with tempfile.TemporaryDirectory(prefix="acc-sslscan-") as tmp:
        xml_file = Path(tmp) / "scan.xml"
        proc = run_tool(["sslscan", "--no-colour", f"--xml={xml_file}", f"{host}:{port}"], timeout_s)
        if not xml_file.is_file():
            return TlsReading("sslscan", frozenset(), frozenset(), None, f"exit {proc.returncode}")
        root = ET.parse(xml_file).getroot()
    test = root.find("ssltest")
    if test is None:
        return TlsReading("sslscan", frozenset(), frozenset(), None, "no ssltest in the XML")
    protocols = set()
    for p in test.iter("protocol"):
        if p.get("enabled") == "1":
            kind, ver = p.get("type", ""), p.get("version", "")
            protocols.add(f"SSL {ver}.0" if kind == "ssl" else f"TLS {ver}")
    codes = _iana_by_code()
    suites = set()
    for c in test.iter("cipher"):
        protocol = c.get("sslversion", "").replace("TLSv", "TLS ").replace("SSLv", "SSL ")
        code = "0x" + c.get("id", "").removeprefix("0x").upper().zfill(4)
        suites.add((protocol, codes.get(code, c.get("cipher", ""))))
    cert = None
    leaf = test.find("certificates/certificate")
    if leaf is not None:
        after = " ".join((leaf.findtext("not-valid-after") or "").split())
        not_after = dt.datetime.strptime(after, "%b %d %H:%M:%S %Y GMT").replace(tzinfo=dt.UTC)
        pk = leaf.find("pk")
        names = leaf.findtext("altnames") or ""
        cert = CertReading(
            days_left=_days_left(not_after),
            self_signed=(leaf.findtext("self-signed") or "") == "true",
            trusted=None,  # sslscan does not validate the chain
            host_ok=f"IP Address:{host}" in names or f"DNS:{host}" in names,
            key=f"{pk.get('type') if pk is not None else '?'} {pk.get('bits') if pk is not None else '?'}",
            key_bits=int(pk.get("bits", "0")) if pk is not None else 0,
        )
    return TlsReading("sslscan", frozenset(protocols), frozenset(suites), cert)


def _testssl_cert(found: dict[str, tuple[str, str]]) -> CertReading | None:
    after = found.get("cert_notAfter")
    if after is None:
        return None
    not_after = dt.datetime.strptime(after[1], "%Y-%m-%d %H:%M").replace(tzinfo=dt.UTC)
    chain = found.get("cert_chain_of_trust", ("", ""))[1]
    trust = found.get("cert_trust", ("", ""))
    key = found.get("cert_keySize", ("", "? 0 bits"))[1]
    bits = re.search(r"(\d+) bits", key)
    return CertReading(
        days_left=_days_left(not_after),
        self_signed="self signed" in chain.lower(),
        trusted=chain.startswith("passed"),
        host_ok=trust[0] in ("OK", "INFO") and "does not match" not in trust[1],
        key=key.replace(" bits", ""),
        key_bits=int(bits[1]) if bits else 0,
    )


def run_testssl(
    host: str, port: int, ca_file: Path, scope: tuple[str, ...], timeout_s: float = 400
) -> TlsReading:
    """``testssl --quiet --color 0 --jsonfile-pretty F --ip one --add-ca CA SCOPE host:port``."""
    if shutil.which("testssl") is None:
        return TlsReading("testssl.sh", frozenset(), frozenset(), None, "testssl is not installed")
    with tempfile.TemporaryDirectory(prefix="acc-testssl-") as tmp:
        out = Path(tmp) / "scan.json"
        argv = ["testssl", "--quiet", "--color", "0", "--warnings", "off", "--jsonfile-pretty", str(out)]
        argv += ["--ip", "one", "--add-ca", str(ca_file), *scope, f"{host}:{port}"]
        proc = run_tool(argv, timeout_s)
        if not out.is_file():
            return TlsReading("testssl.sh", frozenset(), frozenset(), None, f"exit {proc.returncode}")
        doc = json.loads(out.read_text())
    results = (doc.get("scanResult") or [{}])[0]
    found: dict[str, tuple[str, str]] = {}
    protocols, suites = set(), set()
    for section in ("protocols", "ciphers", "serverDefaults", "cipherTests"):
        for item in results.get(section, []):
            ident, finding = str(item.get("id", "")), str(item.get("finding", ""))
            found.setdefault(ident.split(" ")[0], (str(item.get("severity", "")), finding))
            if section == "protocols" and ident in TESTSSL_PROTOCOLS and finding.startswith("offered"):
                protocols.add(TESTSSL_PROTOCOLS[ident])
            if section == "cipherTests" and ident.startswith("cipher_"):  # -e: one line per suite
                name = finding.split()[-1] if finding.split() else ""
                suites.add(("TLS 1.3" if name.startswith(TLS13_PREFIXES) else "TLS ≤ 1.2", name))
            if section == "cipherTests" and ident.startswith("cipher-"):  # -E: per protocol
                m = re.match(r"(TLS 1(?:\.\d)?|SSLv\d)\s+\S+\s+\S+.*\s(\S+)$", finding)
                if m:
                    ver = m[1].replace("SSLv", "SSL ") + (".0" if m[1] in ("TLS 1",) or "SSL" in m[1] else "")
                    suites.add((ver, m[2]))
    error = "" if "-p" not in scope or protocols else "no protocol section"
    return TlsReading("testssl.sh", frozenset(protocols), frozenset(suites), _testssl_cert(found), error)
