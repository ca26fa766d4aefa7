"""scripts/deploy.sh and scripts/e2e-kind.sh, run against recording stubs of kind, kubectl,
docker and curl (first on PATH): no cluster or Docker daemon is needed to check which
commands they run, the cluster they ask kind for, and what they do when a step fails.

The end-to-end run itself needs Docker and kind (`make e2e`); CI runs it on GitHub.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from deploy_support import IMAGE_NAMES, VERSION, of_kind

from servers import ROOT

E2E = ROOT / "scripts" / "e2e-kind.sh"
DEPLOY = ROOT / "scripts" / "deploy.sh"
TOOLS = ("kind", "kubectl", "docker", "curl")
# One stub for every tool: it records its name and arguments (one JSON line per call),
# keeps the cluster config kind is given, and answers the few questions the scripts ask.
STUB = f"""#!{sys.executable}
import json, os, shutil, sys
tool, args = os.path.basename(sys.argv[0]), sys.argv[1:]
with open(os.environ["STUB_LOG"], "a") as log:
    log.write(json.dumps([tool, *args]) + "\\n")
line = " ".join([tool, *args])
if any(part and part in line for part in os.environ.get("STUB_FAIL", "").split("|")):
    sys.exit(1)
if args[:1] == ["version"] and tool == "kind":
    print("kind v" + os.environ.get("STUB_KIND_VERSION", "0.27.0") + " go1.23 linux/amd64")
elif tool == "kind" and args[:2] == ["create", "cluster"]:
    shutil.copy(args[args.index("--config") + 1], os.environ["STUB_KIND_CONFIG"])
elif tool == "kubectl" and "--raw" in args:
    major, minor = os.environ.get("STUB_SERVER_VERSION", "1.33").split(".", 1)
    print(json.dumps({{"major": major, "minor": minor, "gitVersion": "v1.x"}}, indent=2))
elif tool == "kubectl" and "--client" in args:
    major, minor = os.environ.get("STUB_CLIENT_VERSION", "1.32").split(".", 1)
    print(json.dumps({{"clientVersion": {{"major": major, "minor": minor}}}}, indent=2))
"""


@dataclass
class Run:
    """What a script did: exit code, output, and every stubbed call it made."""

    returncode: int
    stdout: str
    stderr: str
    calls: list[list[str]]
    kind_config: dict[str, object] | None


@pytest.fixture
def stubs(tmp_path: Path) -> Path:
    """A directory of recording stubs for kind, kubectl, docker and curl."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in TOOLS:
        (bin_dir / tool).write_text(STUB, encoding="utf-8")
        (bin_dir / tool).chmod(0o755)
    return bin_dir


def run(script: Path, *args: str, stubs: Path, **env: str) -> Run:
    """Run a script with the stubs first on PATH."""
    log = stubs / "calls.jsonl"
    log.write_text("", encoding="utf-8")
    config = stubs / "kind-config.yaml"
    config.unlink(missing_ok=True)
    full_env = {
        "PATH": f"{stubs}{os.pathsep}/usr/bin:/bin",
        "HOME": str(stubs),
        "STUB_LOG": str(log),
        "STUB_KIND_CONFIG": str(config),
        "ARTIFACTS": str(stubs / "artifacts"),
        **env,
    }
    result = subprocess.run(
        ["bash", str(script), *args],
        cwd=stubs, env=full_env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    kind_config = yaml.safe_load(config.read_text()) if config.exists() else None
    return Run(result.returncode, result.stdout, result.stderr, calls, kind_config)


def calls_of(result: Run, tool: str) -> list[list[str]]:
    """The calls made to one tool, without its name."""
    return [call[1:] for call in result.calls if call[0] == tool]


# --- deploy.sh ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("server", "client", "applies"),
    [
        ("1.30", "1.32", True),
        ("1.33+", "1.27", True),
        ("1.29", "1.32", False),
        ("1.33", "1.26", False),
    ],
)
def test_deploy_applies_only_to_a_cluster_and_kubectl_new_enough(
    server: str, client: str, applies: bool, stubs: Path
) -> None:
    """Kubernetes >= 1.30 (preStop sleep) and kubectl >= 1.27 (kustomize sortOptions):
    then apply -k k8s/ and wait for both rollouts; otherwise a message naming the needed
    version, and nothing applied."""
    result = run(DEPLOY, "--context", "kind-x", stubs=stubs,
                 STUB_SERVER_VERSION=server, STUB_CLIENT_VERSION=client)  # fmt: skip
    kubectl = calls_of(result, "kubectl")
    applied = [call for call in kubectl if "apply" in call]
    if applies:
        assert result.returncode == 0, result.stderr
        assert applied == [["--context", "kind-x", "apply", "-k", str(ROOT / "k8s")]]
        waited = [call[6] for call in kubectl if call[4:6] == ["rollout", "status"]]
        assert waited == ["deployment/backend", "deployment/frontend"]
        assert kubectl.index(applied[0]) < len(kubectl) - len(waited)
    else:
        assert result.returncode == 1
        assert applied == []
        assert "1.30" in result.stderr or "1.27" in result.stderr


# --- e2e-kind.sh -------------------------------------------------------------------------


def test_e2e_asks_kind_for_three_nodes_with_node_ports_on_loopback(stubs: Path) -> None:
    """The cluster: one control plane and two workers; both Services' NodePorts are
    published, on 127.0.0.1 only."""
    result = run(E2E, "--print-config", stubs=stubs)
    assert result.returncode == 0
    assert result.calls == []
    config = yaml.safe_load(result.stdout)
    roles = [node["role"] for node in config["nodes"]]
    assert sorted(roles) == ["control-plane", "worker", "worker"]
    mappings = [m for node in config["nodes"] for m in node.get("extraPortMappings", [])]
    node_ports = sorted(
        port["nodePort"]
        for service in of_kind("Service")
        for port in service["spec"]["ports"]
        if "nodePort" in port
    )
    assert sorted(m["containerPort"] for m in mappings) == node_ports
    assert all(m["hostPort"] == m["containerPort"] for m in mappings)
    assert {m["listenAddress"] for m in mappings} == {"127.0.0.1"}


@pytest.mark.parametrize("node_image", ["", "kindest/node:v1.33.1"])
def test_e2e_builds_loads_deploys_and_cleans_up_after_a_failure(
    node_image: str, stubs: Path
) -> None:
    """Creates the cluster (with KIND_NODE_IMAGE when given) from the config above, builds
    both images, loads them, deploys with scripts/deploy.sh; when a step fails (here the
    rollout) it collects events, logs and `kind export logs`, deletes its cluster and
    fails."""
    result = run(
        E2E, "--name", "e2e-test", stubs=stubs,
        KIND_NODE_IMAGE=node_image, STUB_FAIL="rollout status",
    )  # fmt: skip
    assert result.returncode != 0
    kind = calls_of(result, "kind")
    create = next(call for call in kind if call[:2] == ["create", "cluster"])
    assert create[create.index("--name") + 1] == "e2e-test"
    assert ("--image" in create) == bool(node_image)
    if node_image:
        assert create[create.index("--image") + 1] == node_image
    assert result.kind_config == yaml.safe_load(run(E2E, "--print-config", stubs=stubs).stdout)
    built = [call for call in calls_of(result, "docker") if call[:1] == ["build"]]
    assert [call[call.index("--tag") + 1] for call in built] == [
        f"{image}:{VERSION}" for image in IMAGE_NAMES
    ]
    load = next(call for call in kind if call[:2] == ["load", "docker-image"])
    assert [arg for arg in load if ":" in arg] == [f"{image}:{VERSION}" for image in IMAGE_NAMES]
    assert ["export", "logs", str(stubs / "artifacts" / "kind"), "--name", "e2e-test"] in kind
    assert kind[-1] == ["delete", "cluster", "--name", "e2e-test"]
    kubectl = calls_of(result, "kubectl")
    assert any("events" in call for call in kubectl)
    assert any("logs" in call for call in kubectl)


def test_e2e_keeps_the_cluster_when_asked(stubs: Path) -> None:
    """--keep leaves the cluster for inspection, even after a failure."""
    result = run(E2E, "--keep", "--no-build", stubs=stubs, STUB_FAIL="rollout status")
    assert result.returncode != 0
    assert not [call for call in calls_of(result, "kind") if call[:1] == ["delete"]]
    assert not [call for call in calls_of(result, "docker") if call[:1] == ["build"]]


def test_e2e_refuses_a_kind_without_network_policy(stubs: Path) -> None:
    """kind before 0.24 does not enforce NetworkPolicy: refused before any cluster exists."""
    result = run(E2E, stubs=stubs, STUB_KIND_VERSION="0.23.0")
    assert result.returncode == 1
    assert "0.24" in result.stderr
    assert calls_of(result, "kind") == [["version"]]


@pytest.mark.parametrize(
    "args", [["--bogus"], ["--name"], ["--name", "Bad_Name"], ["--requests", "0"]]
)
def test_e2e_bad_options_are_usage_errors(args: list[str], stubs: Path) -> None:
    """Unknown options, missing values, invalid names or counts: exit 2, nothing run."""
    result = run(E2E, *args, stubs=stubs)
    assert (result.returncode, result.calls) == (2, [])


@pytest.mark.parametrize("script", [E2E, DEPLOY], ids=lambda p: p.name)
def test_help_runs_nothing(script: Path, stubs: Path) -> None:
    """--help explains the script and exits 0 without running anything."""
    result = run(script, "--help", stubs=stubs)
    assert (result.returncode, result.calls) == (0, [])
    assert result.stdout.startswith("Usage:")
