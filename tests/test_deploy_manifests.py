"""The Kubernetes manifests on their own: schemas, policy scan, lint, apply order, kustomize.

No cluster is needed: schemas come with kubernetes-validate, the policy scan is checkov,
and `kubectl kustomize` renders offline.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from deploy_support import (
    CLUSTER_SCOPED_KINDS,
    K8S_DIR,
    KUSTOMIZATION,
    NAMESPACE,
    VERSION,
    checkov,
    container,
    failed_checks_text,
    manifest_files,
    manifests,
    of_kind,
    pod_spec,
)
from kubernetes_validate import utils as kubernetes_validate

from servers import ROOT, require_executable

# The minor versions the manifests are validated against: 1.30 is the oldest that runs
# them (the preStop `sleep` action is on by default from 1.30), the rest are every minor
# release since, up to the newest schema kubernetes-validate ships.
KUBERNETES_VERSIONS = ("1.30", "1.31", "1.32", "1.33", "1.34", "1.35", "1.36", "1.37")


def _file_ids(files: list[Path]) -> list[str]:
    return [file.name for file in files]


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("path", manifest_files(), ids=_file_ids(manifest_files()))
def test_manifest_validates_strictly(path: Path, version: str) -> None:
    """Every object validates against the version's strict schema (unknown fields fail)."""
    for doc in manifests(path):
        try:
            validated = kubernetes_validate.validate(doc, f"{version}.0", strict=True)
        except kubernetes_validate.ValidationError as error:
            where = ".".join(str(part) for part in error.path)
            pytest.fail(f"{path.name} {doc['kind']} at {where}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            pytest.fail(f"{path.name}: {error.message}")
        assert validated == version


def test_strict_validation_rejects_an_unknown_field() -> None:
    """The validator really is strict: a misspelt field in a container is an error."""
    (deployment,) = [doc for doc in of_kind("Deployment") if doc["metadata"]["name"] == "backend"]
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    container(broken)["resource"] = container(broken).pop("resources")
    with pytest.raises(kubernetes_validate.ValidationError, match="'resource' was unexpected"):
        kubernetes_validate.validate(broken, f"{KUBERNETES_VERSIONS[-1]}.0", strict=True)


def test_validated_versions_reach_the_newest_schema_shipped() -> None:
    """Upgrading kubernetes-validate adds its newest Kubernetes version to the list above."""
    newest = kubernetes_validate.major_minor(kubernetes_validate.latest_version())
    assert newest == KUBERNETES_VERSIONS[-1]


def test_policy_scan_of_manifests_has_no_failed_check() -> None:
    """checkov's Kubernetes checks: 0 failed; every skip is an annotation with a reason."""
    report = checkov("--directory", "k8s", framework="kubernetes")
    summary = report["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] >= len(manifests())
    assert summary["failed"] == 0, failed_checks_text(report)
    assert summary["passed"] > 100
    annotated = {
        (doc["metadata"]["name"], value.split("=", 1)[0]): value.split("=", 1)[1]
        for doc in manifests()
        for key, value in doc["metadata"].get("annotations", {}).items()
        if key.startswith("checkov.io/skip")
    }
    for skipped in report["results"]["skipped_checks"]:
        name = skipped["resource"].rsplit(".", 1)[1]
        reason = annotated.get((name, skipped["check_id"]), "")
        assert len(reason.split()) >= 8, f"{skipped['check_id']} on {name} needs a reason"


def test_yamllint_is_clean_across_the_repository() -> None:
    """yamllint --strict over every YAML file (manifests, Kustomization, compose): silent."""
    result = subprocess.run(
        [sys.executable, "-m", "yamllint", "--strict", "--format", "parsable", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_yamllint_reads_the_kustomization(tmp_path: Path) -> None:
    """The yamllint config covers k8s/Kustomization although it has no .yaml extension."""
    shutil.copy(ROOT / ".yamllint", tmp_path / ".yamllint")
    (tmp_path / "Kustomization").write_text("resources:\n  - a.yaml\n  - a.yaml  \n")
    result = subprocess.run(
        [sys.executable, "-m", "yamllint", "--strict", "--format", "parsable", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "trailing-spaces" in result.stdout


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


def test_every_manifest_file_explains_itself() -> None:
    """Each manifest file opens with a comment saying what it is for."""
    for path in [*manifest_files(), KUSTOMIZATION]:
        assert path.read_text(encoding="utf-8").startswith("# "), path.name


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


def test_kustomization_lists_every_manifest_in_apply_order() -> None:
    """apply -k and apply -f deploy the same files: the resources list is the directory."""
    resources = yaml.safe_load(KUSTOMIZATION.read_text(encoding="utf-8"))["resources"]
    assert resources == [path.name for path in manifest_files()]


def test_kustomize_renders_the_same_objects_with_the_same_images() -> None:
    """`kubectl kustomize k8s/` (what apply -k applies) equals the plain files."""
    rendered = _kustomize(K8S_DIR)

    def key(doc: dict[str, object]) -> str:
        return yaml.safe_dump(doc, sort_keys=True)

    assert sorted(map(key, rendered)) == sorted(map(key, manifests()))


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
