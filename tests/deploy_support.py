"""Readers for the deployment files (manifests, Dockerfiles, compose) and a NetworkPolicy model.

Shared by the tests/test_deploy_*.py modules. Each reader parses one kind of file the way
its real consumer does (kubectl, Docker, compose), closely enough to compare values
across files; none of them needs a Docker daemon or a cluster.
"""

from __future__ import annotations

import ipaddress
import json
import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from servers import BACKEND_DIR, FRONTEND_DIR, ROOT, VENV_BIN

K8S_DIR = ROOT / "k8s"
KUSTOMIZATION = K8S_DIR / "Kustomization"
COMPOSE_FILE = ROOT / "compose.yaml"
VERSION = (ROOT / "VERSION").read_text(encoding="utf-8").strip()
NAMESPACE = "frontend-ns"
IMAGE_NAMES = ("k8s-calculator-backend", "k8s-calculator-frontend")
DOCKERFILES = {"backend": BACKEND_DIR / "Dockerfile", "frontend": FRONTEND_DIR / "Dockerfile"}
# What `kubectl apply -f DIR` reads from a directory (k8s.io/cli-runtime FileExtensions).
KUBECTL_EXTENSIONS = (".json", ".yaml", ".yml")
CLUSTER_SCOPED_KINDS = {"Namespace"}

Manifest = dict[str, Any]


# --- Kubernetes manifests --------------------------------------------------------------


def manifest_files() -> list[Path]:
    """The files `kubectl apply -f k8s/` applies, in the order it applies them."""
    return sorted(p for p in K8S_DIR.iterdir() if p.suffix in KUBECTL_EXTENSIONS)


@cache
def _load(path: Path) -> tuple[Manifest, ...]:
    with path.open(encoding="utf-8") as handle:
        return tuple(doc for doc in yaml.safe_load_all(handle) if doc)


def manifests(path: Path | None = None) -> list[Manifest]:
    """Every object in one manifest file, or in all of them (in apply order)."""
    files = [path] if path is not None else manifest_files()
    return [doc for file in files for doc in _load(file)]


def find(kind: str, name: str) -> Manifest:
    """The one object of this kind and name in k8s/."""
    matches = [
        doc for doc in manifests() if doc["kind"] == kind and doc["metadata"]["name"] == name
    ]
    assert len(matches) == 1, f"expected one {kind} {name!r} in k8s/, found {len(matches)}"
    return matches[0]


def of_kind(kind: str) -> list[Manifest]:
    """Every object of this kind in k8s/."""
    return [doc for doc in manifests() if doc["kind"] == kind]


def pod_spec(deployment: Manifest) -> dict[str, Any]:
    """The pod template's spec of a Deployment."""
    spec: dict[str, Any] = deployment["spec"]["template"]["spec"]
    return spec


def container(deployment: Manifest) -> dict[str, Any]:
    """The Deployment's only container."""
    containers = pod_spec(deployment)["containers"]
    assert len(containers) == 1, "each Deployment runs exactly one container"
    only: dict[str, Any] = containers[0]
    return only


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    """True when a matchLabels-style selector selects an object with these labels."""
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


def kustomization() -> dict[str, Any]:
    """k8s/Kustomization, parsed."""
    data: dict[str, Any] = yaml.safe_load(KUSTOMIZATION.read_text(encoding="utf-8"))
    return data


def compose() -> dict[str, Any]:
    """compose.yaml, parsed."""
    data: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return data


# --- Dockerfiles -----------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction: keyword (upper case) and its argument text."""

    keyword: str
    args: str
    line: int

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form CMD/ENTRYPOINT/HEALTHCHECK CMD, else None."""
        text = self.args
        if self.keyword == "HEALTHCHECK":
            match = re.search(r"\bCMD\s+(\[.*\])\s*$", text)
            text = match.group(1) if match else ""
        if not text.startswith("["):
            return None
        value = json.loads(text)
        assert isinstance(value, list)
        return [str(item) for item in value]


def dockerfile(path: Path) -> list[Instruction]:
    """Instructions of a Dockerfile: comments dropped, continuation lines joined."""
    instructions: list[Instruction] = []
    pending = ""
    start = 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not pending:
            start = number
        if line.startswith("#") or (not line and not pending):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        text = (pending + line).strip()
        pending = ""
        keyword, _, args = text.partition(" ")
        instructions.append(Instruction(keyword.upper(), args.strip(), start))
    return instructions


def instructions(path: Path, keyword: str) -> list[Instruction]:
    """The instructions with this keyword, in order."""
    return [item for item in dockerfile(path) if item.keyword == keyword]


def arg_defaults(path: Path) -> dict[str, str]:
    """ARG name -> default value (only ARGs that have one)."""
    defaults: dict[str, str] = {}
    for item in instructions(path, "ARG"):
        name, sep, value = item.args.partition("=")
        if sep:
            defaults[name.strip()] = value.strip().strip('"')
    return defaults


def env_values(path: Path) -> dict[str, str]:
    """ENV name -> value, for the key=value form (later values win)."""
    values: dict[str, str] = {}
    for item in instructions(path, "ENV"):
        for name, value in re.findall(r'([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)', item.args):
            values[name] = value.strip('"')
    return values


@dataclass(frozen=True)
class Copy:
    """A COPY instruction: flags, sources (relative to the context) and destination."""

    flags: dict[str, str]
    sources: list[str]
    destination: str
    line: int


def copies(path: Path) -> list[Copy]:
    """Every COPY instruction of a Dockerfile (shell form; no JSON-form COPY is used)."""
    result = []
    for item in instructions(path, "COPY"):
        words = item.args.split()
        flags = {}
        while words and words[0].startswith("--"):
            name, _, value = words.pop(0)[2:].partition("=")
            flags[name] = value
        result.append(Copy(flags, words[:-1], words[-1], item.line))
    return result


def final_user(path: Path) -> tuple[int, int]:
    """The numeric uid and gid of the last USER instruction (the runtime user)."""
    users = instructions(path, "USER")
    assert users, f"{path} has no USER instruction"
    uid, _, gid = users[-1].args.partition(":")
    assert uid.isdigit(), f"{path}: USER {users[-1].args} is not numeric"
    assert gid.isdigit(), f"{path}: USER {users[-1].args} has no numeric group"
    return int(uid), int(gid)


# --- Values read from the other components' own files ----------------------------------


@cache
def gunicorn_settings() -> dict[str, Any]:
    """backend/gunicorn.conf.py's effective settings with no environment variables set."""
    script = (
        "import json, runpy\n"
        "ns = runpy.run_path('gunicorn.conf.py')\n"
        "keys = ['bind', 'graceful_timeout', 'keepalive', 'DEFAULT_SHUTDOWN_DRAIN_SECONDS']\n"
        "print(json.dumps({k: ns[k] for k in keys}))\n"
    )
    output = subprocess.run(
        [str(VENV_BIN / "python"), "-c", script],
        cwd=BACKEND_DIR,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    settings: dict[str, Any] = json.loads(output)
    return settings


def gunicorn_default_port() -> int:
    """The port gunicorn binds when CALCULATOR_PORT is not set."""
    (bind,) = gunicorn_settings()["bind"]
    return int(bind.rsplit(":", 1)[1])


# --- NetworkPolicy, as the API defines it -------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """One end of a connection: a pod (namespace, labels, address) or, with namespace None,
    a client outside the cluster at an address."""

    address: str
    namespace: str | None = None
    labels: tuple[tuple[str, str], ...] = ()


def _peer_matches(peer: dict[str, Any], other: Endpoint, policy_namespace: str) -> bool:
    if "ipBlock" in peer:
        block = peer["ipBlock"]
        address = ipaddress.ip_address(other.address)
        excluded = any(address in ipaddress.ip_network(cidr) for cidr in block.get("except", []))
        return address in ipaddress.ip_network(block["cidr"]) and not excluded
    if other.namespace is None:
        return False  # pod and namespace selectors match pods only
    if "namespaceSelector" in peer:
        # Namespaces carry no labels of ours except kubernetes.io/metadata.name.
        ns_labels = {"kubernetes.io/metadata.name": other.namespace}
        ns_selector = peer["namespaceSelector"].get("matchLabels", {})
        if not all(ns_labels.get(key) == value for key, value in ns_selector.items()):
            return False
    elif other.namespace != policy_namespace:
        return False
    pod_selector = peer.get("podSelector", {}).get("matchLabels", {})
    labels = dict(other.labels)
    return all(labels.get(key) == value for key, value in pod_selector.items())


def _rule_admits(
    rule: dict[str, Any], peers_key: str, other: Endpoint, port: int, protocol: str, ns: str
) -> bool:
    ports = rule.get("ports")
    if ports is not None and not any(
        item.get("protocol", "TCP") == protocol and item.get("port", port) == port for item in ports
    ):
        return False
    peers = rule.get(peers_key)
    return peers is None or any(_peer_matches(peer, other, ns) for peer in peers)


def _direction_allows(
    pod: Endpoint, direction: str, other: Endpoint, port: int, protocol: str
) -> bool:
    """Whether the pod's policies let this connection through in one direction."""
    if pod.namespace is None:
        return True  # outside the cluster: no NetworkPolicy applies
    labels = dict(pod.labels)
    selecting = [
        policy
        for policy in of_kind("NetworkPolicy")
        if policy["metadata"]["namespace"] == pod.namespace
        and direction in policy["spec"].get("policyTypes", ["Ingress"])
        and all(
            labels.get(key) == value
            for key, value in policy["spec"]["podSelector"].get("matchLabels", {}).items()
        )
    ]
    if not selecting:
        return True  # not isolated in this direction
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    return any(
        _rule_admits(rule, peers_key, other, port, protocol, pod.namespace)
        for policy in selecting
        for rule in policy["spec"].get(key, [])
    )


def network_allows(source: Endpoint, target: Endpoint, port: int, protocol: str = "TCP") -> bool:
    """True when the manifests' NetworkPolicies let source open a connection to target's
    port: the source's egress policies and the target's ingress policies must both allow
    it (an ipBlock is taken to match pod addresses too, as Calico and kindnet do)."""
    return _direction_allows(source, "Egress", target, port, protocol) and _direction_allows(
        target, "Ingress", source, port, protocol
    )


def pod_of(deployment: Manifest, address: str) -> Endpoint:
    """An Endpoint for one pod of a Deployment, at an address."""
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    return Endpoint(address, deployment["metadata"]["namespace"], tuple(sorted(labels.items())))
