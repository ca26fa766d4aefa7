"""The Kubernetes manifests on their own: apply order, security settings, kustomize.

No cluster is needed: `kubectl kustomize` renders offline. Schema validation
(kubernetes-validate) and the policy scan (checkov) run in `make lint`.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from deploy_support import (
    CLUSTER_SCOPED_KINDS,
    K8S_DIR,
    NAMESPACE,
    VERSION,
    container,
    manifest_files,
    manifests,
    of_kind,
    pod_spec,
)

from servers import require_executable


def test_apply_f_reads_only_kubernetes_objects() -> None:
    """`kubectl apply -f k8s/` would read every .yaml/.yml/.json file: each holds only
    Kubernetes objects (no kustomization.yaml, which would make the apply fail)."""
    assert not (K8S_DIR / "kustomization.yaml").exists()
    assert not (K8S_DIR / "kustomization.yml").exists()
    for path in manifest_files():
        docs = manifests(path)
        assert docs, f"{path.name} is empty"
        for doc in docs:
            assert {"apiVersion", "kind", "metadata"} <= doc.keys(), path.name
            assert doc["apiVersion"] != "kustomize.config.k8s.io/v1beta1", path.name


def test_apply_order_creates_what_others_depend_on_first() -> None:
    """In file-name order: the Namespace first, NetworkPolicies before any pod exists, and
    the backend Service before the frontend pods (nginx resolves it when it starts)."""
    order = [(doc["kind"], doc["metadata"]["name"]) for doc in manifests()]
    assert order[0] == ("Namespace", NAMESPACE)
    first_deployment = next(i for i, (kind, _) in enumerate(order) if kind == "Deployment")
    policies = [i for i, (kind, _) in enumerate(order) if kind == "NetworkPolicy"]
    assert policies
    assert max(policies) < first_deployment
    assert order.index(("Service", "backend-svc")) < order.index(("Deployment", "frontend"))


def test_every_object_is_in_the_namespace() -> None:
    """Namespaced objects name frontend-ns explicitly (apply -f has no default)."""
    for doc in manifests():
        if doc["kind"] in CLUSTER_SCOPED_KINDS:
            assert "namespace" not in doc["metadata"]
        else:
            assert doc["metadata"].get("namespace") == NAMESPACE, doc["metadata"]["name"]


def test_namespace_enforces_pod_security_restricted() -> None:
    """The namespace enforces (and warns and audits) the "restricted" profile."""
    (namespace,) = of_kind("Namespace")
    labels = namespace["metadata"]["labels"]
    for mode in ("enforce", "warn", "audit"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"


@pytest.mark.parametrize("name", ["backend", "frontend"])
def test_pods_meet_the_restricted_profile(name: str) -> None:
    """Non-root numeric identity, no escalation, no capabilities, RuntimeDefault seccomp,
    read-only root file system, no service-account token."""
    (deployment,) = [doc for doc in of_kind("Deployment") if doc["metadata"]["name"] == name]
    spec = pod_spec(deployment)
    pod = spec["securityContext"]
    box = container(deployment)["securityContext"]
    assert spec["automountServiceAccountToken"] is False
    assert pod["runAsNonRoot"] is True
    for key in ("runAsUser", "runAsGroup", "fsGroup"):
        assert isinstance(pod[key], int)
        assert pod[key] > 0
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    assert box["allowPrivilegeEscalation"] is False
    assert box["readOnlyRootFilesystem"] is True
    assert box["capabilities"] == {"drop": ["ALL"]}
    assert box.get("privileged", False) is False
    assert box["runAsUser"] == pod["runAsUser"]
    assert box["runAsGroup"] == pod["runAsGroup"]
    assert not spec.get("hostNetwork")
    assert not spec.get("hostPID")
    assert not spec.get("hostIPC")
    for volume in spec.get("volumes", []):
        assert set(volume) == {"name", "emptyDir"}, "only emptyDir volumes"
        assert "sizeLimit" in volume["emptyDir"], "every emptyDir is bounded"


@pytest.mark.parametrize("name", ["backend", "frontend"])
def test_rollouts_never_reduce_capacity(name: str) -> None:
    """maxUnavailable 0, a surge pod, minReadySeconds, a preStop pause and a PDB."""
    (deployment,) = [doc for doc in of_kind("Deployment") if doc["metadata"]["name"] == name]
    strategy = deployment["spec"]["strategy"]
    assert strategy["type"] == "RollingUpdate"
    assert strategy["rollingUpdate"]["maxUnavailable"] == 0
    assert strategy["rollingUpdate"]["maxSurge"] >= 1
    assert deployment["spec"]["minReadySeconds"] > 0
    assert container(deployment)["lifecycle"]["preStop"]["sleep"]["seconds"] > 0
    budgets = [
        pdb
        for pdb in of_kind("PodDisruptionBudget")
        if pdb["spec"]["selector"] == deployment["spec"]["selector"]
    ]
    assert len(budgets) == 1
    assert budgets[0]["spec"]["maxUnavailable"] == 1


@pytest.mark.parametrize("name", ["backend", "frontend"])
def test_images_use_a_fixed_tag_that_local_loads_satisfy(name: str) -> None:
    """A version tag (never latest) with imagePullPolicy IfNotPresent."""
    (deployment,) = [doc for doc in of_kind("Deployment") if doc["metadata"]["name"] == name]
    box = container(deployment)
    assert box["image"].endswith(f":{VERSION}")
    assert box["imagePullPolicy"] == "IfNotPresent"


def _kustomize(directory: Path) -> list[dict[str, object]]:
    kubectl = require_executable("kubectl")
    output = subprocess.run(
        [kubectl, "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    return [doc for doc in yaml.safe_load_all(output) if doc]


def test_apply_k_creates_the_same_objects_in_the_same_order_as_apply_f() -> None:
    """`kubectl kustomize k8s/` (what apply -k applies) yields the plain files' objects in
    their file order: without sortOptions fifo it would put the Deployments before the
    NetworkPolicies, and a file missing from the resources list would be left out."""
    assert _kustomize(K8S_DIR) == manifests()


def test_kustomize_images_change_registry_and_tag_in_one_place(tmp_path: Path) -> None:
    """Editing only the Kustomization's images list moves both Deployments to a registry."""
    copy = tmp_path / "k8s"
    shutil.copytree(K8S_DIR, copy)
    settings = yaml.safe_load((copy / "Kustomization").read_text(encoding="utf-8"))
    for image in settings["images"]:
        image["newName"] = f"localhost:5001/team/{image['name']}"
        image["newTag"] = "9.9.9"
    (copy / "Kustomization").write_text(yaml.safe_dump(settings), encoding="utf-8")
    images = {
        doc["metadata"]["name"]: container(doc)["image"]  # type: ignore[index,arg-type]
        for doc in _kustomize(copy)
        if doc["kind"] == "Deployment"
    }
    assert images == {
        "backend": "localhost:5001/team/k8s-calculator-backend:9.9.9",
        "frontend": "localhost:5001/team/k8s-calculator-frontend:9.9.9",
    }
