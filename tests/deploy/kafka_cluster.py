"""The site's Kafka cluster (deploy/site_description.py) on loopback ports: three KRaft nodes
with TLS on every listener and SCRAM on the client ones, certificates made by the test, started
and killed by deploy/services/kafka.sh's node commands."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from canhgac.config import KafkaTransportConfig
from tests.support.certificates import Pki

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KAFKA_SH = DEPLOY / "services" / "kafka.sh"


def load_deploy_module(name: str) -> ModuleType:
    """A module of deploy/ (not a package: the deploy tools run without canhgac)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, DEPLOY / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


site = load_deploy_module("site_description")

LOG4J = """status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = OUT
logger.request.name = kafka.request.logger
logger.request.level = warn
"""


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def _keystore(pki: Pki, stem: str, password: str) -> Path:
    """A PKCS12 keystore (key + chain) for a node, as an operator would make with openssl."""
    pair = pki.issue(stem, "127.0.0.1", "localhost", common_name=stem)
    key = serialization.load_pem_private_key(pair.key_file.read_bytes(), password=None)
    cert = x509.load_pem_x509_certificate(pair.cert_file.read_bytes())
    blob = pkcs12.serialize_key_and_certificates(
        stem.encode(),
        key,  # type: ignore[arg-type]
        cert,
        [x509.load_pem_x509_certificate(pki.ca_file.read_bytes())],
        serialization.BestAvailableEncryption(password.encode()),
    )
    path = pki.directory / f"{stem}.p12"
    path.write_bytes(blob)
    return path


@dataclass
class KafkaCluster:
    root: Path
    passwords: dict[str, str]
    pki: Pki = field(init=False)
    nodes: list[object] = field(init=False)
    dirs: list[Path] = field(init=False)

    def __post_init__(self) -> None:
        self.pki = Pki(self.root / "certs")
        names = [x.name for x in site.LISTENERS]
        self.nodes = []
        for node_id in (1, 2, 3):
            ports = _free_ports(len(names))
            self.nodes.append(
                site.KafkaNode(
                    node_id,
                    {n: ("127.0.0.1", p, "127.0.0.1") for n, p in zip(names, ports, strict=True)},
                )
            )
        self.dirs = [self._write_node(node) for node in self.nodes]

    def _write_node(self, node: object) -> Path:
        node_id = node.node_id  # type: ignore[attr-defined]
        folder = self.root / f"kafka-{node_id}"
        folder.mkdir(parents=True)
        keystore_password = f"kho-khoa-{node_id}"
        files = site.KafkaFiles(
            data_dir=str(folder / "data"),
            keystore=str(_keystore(self.pki, f"kafka-{node_id}", keystore_password)),
            truststore=str(self.pki.ca_file),
            secrets=str(folder / "secrets.properties"),
        )
        (folder / "secrets.properties").write_text(f"ssl.keystore.password={keystore_password}\n")
        (folder / "secrets.properties").chmod(0o600)
        props = site.kafka_properties(node, self.nodes, files)
        (folder / "server.properties").write_text(site.properties_text(props, "test node"))
        (folder / "admin.properties").write_text(
            site.properties_text(site.admin_properties(files), "test admin")
        )
        (folder / "log4j2.properties").write_text(LOG4J)
        args = ["--cluster-id", site.CLUSTER_ID]
        for user, password in self.passwords.items():
            args += ["--add-scram", f"{site.SCRAM_MECHANISM}=[name={user},password={password}]"]
        (folder / "format.args").write_text("\n".join(args) + "\n")
        return folder

    def bootstrap(self, listener: str = "EXTERNAL") -> list[str]:
        return [
            f"127.0.0.1:{node.endpoints[listener][1]}"  # type: ignore[attr-defined]
            for node in self.nodes
        ]

    def client_config(self, user: str, **options: object) -> KafkaTransportConfig:
        return KafkaTransportConfig(
            bootstrap_servers=self.bootstrap(),
            security_protocol="SASL_SSL",
            sasl_mechanism=site.SCRAM_MECHANISM,
            sasl_username=user,
            sasl_password=self.passwords[user],  # type: ignore[arg-type]
            ssl_cafile=str(self.pki.ca_file),
            **options,  # type: ignore[arg-type]
        )

    def _script(self, command: str, folder: Path) -> None:
        subprocess.run(
            ["bash", str(KAFKA_SH), command, str(folder)], check=True, capture_output=True
        )

    def start(self) -> None:
        for folder in self.dirs:
            self._script("node-start", folder)

    def started(self) -> bool:
        """Every node says it started (it then has a quorum, and its listeners are open)."""
        logs = [folder / "kafka.log" for folder in self.dirs]
        return all(log.exists() and "Kafka Server started" in log.read_text() for log in logs)

    def admin_cluster_id(self, index: int = 0) -> str:
        """What Kafka's ClusterTool says through the BROKER listener with the rendered
        admin.properties (certificate login, password from the secrets file): the same path as
        compose's health checks and kafka-setup."""
        node = self.nodes[index]
        bootstrap = f"127.0.0.1:{node.endpoints['BROKER'][1]}"  # type: ignore[attr-defined]
        run = subprocess.run(
            ["bash", str(KAFKA_SH), "node-admin", str(self.dirs[index]), bootstrap],
            capture_output=True,
            text=True,
        )
        return run.stdout + run.stderr

    def kill(self, index: int) -> None:
        self._script("node-kill", self.dirs[index])

    def stop(self) -> None:
        for folder in self.dirs:
            self._script("node-stop", folder)

    def logs(self) -> str:
        return "\n".join(
            f"--- {folder.name} ---\n" + (folder / "kafka.log").read_text(errors="replace")[-3000:]
            for folder in self.dirs
            if (folder / "kafka.log").exists()
        )
