"""The GitHub workflows agree with the rest of the repository (they cannot run here).

Relations, not text: the CI job runs the same entry point and make target as a developer;
the names, namespace and ports the pipeline uses are the ones k8s/ defines (read through
.github/scripts/manifest_facts.py, never retyped in a workflow); every action is pinned
to a commit; every job is bounded in time and holds no more permission than it uses.
actionlint (in `make lint`) checks the workflows' syntax, expressions and run: scripts.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shlex
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from conftest import CHROMIUM_CANDIDATES
from deploy_support import container, manifests, of_kind, pod_spec, selects

from servers import ROOT, Server, require_executable

WORKFLOWS_DIR = ROOT / ".github" / "workflows"
SCRIPTS_DIR = ROOT / ".github" / "scripts"
WORKFLOW_FILES = sorted(WORKFLOWS_DIR.glob("*.yml"))
CI = WORKFLOWS_DIR / "ci.yml"
RELEASE = WORKFLOWS_DIR / "release.yml"
SHA_PIN = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
USES_LINE = re.compile(r"uses:\s*(\S+)\s*(?:#\s*(\S+))?")
# What a job may be granted beyond the workflow's `contents: read`, and why.
ALLOWED_GRANTS = {
    ("contents", "read"),
    ("packages", "write"),  # push images to GHCR
    ("packages", "read"),  # read signatures stored beside the images
    ("id-token", "write"),  # cosign keyless signing
}

Workflow = dict[str, Any]


def load(path: Path) -> Workflow:
    """A workflow parsed as GitHub does (YAML 1.1 turns the key `on` into True)."""
    data: Workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def jobs(path: Path) -> dict[str, dict[str, Any]]:
    """The jobs of one workflow, by id."""
    found: dict[str, dict[str, Any]] = load(path)["jobs"]
    return found


def all_jobs() -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(workflow file name, job id, job) for every job of every workflow."""
    for path in WORKFLOW_FILES:
        for job_id, job in jobs(path).items():
            yield path.name, job_id, job


def job_params() -> list[Any]:
    """all_jobs() as pytest parameters named workflow:job."""
    return [pytest.param(*entry, id=f"{entry[0]}:{entry[1]}") for entry in all_jobs()]


def run_commands(job: dict[str, Any]) -> list[str]:
    """The run: scripts of a job's steps, in order."""
    return [step["run"] for step in job.get("steps", []) if "run" in step]


def facts_module() -> ModuleType:
    """.github/scripts/manifest_facts.py, imported from its file."""
    path = SCRIPTS_DIR / "manifest_facts.py"
    spec = importlib.util.spec_from_file_location("manifest_facts", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def facts() -> dict[str, str]:
    """What the workflows read from the repository, as they read it."""
    output = subprocess.run(
        [sys.executable, str(SCRIPTS_DIR / "manifest_facts.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    return dict(line.split("=", 1) for line in output.splitlines())


def make_stub(bin_dir: Path, name: str, body: str = "") -> None:
    """An executable that records its arguments and working directory, then runs body."""
    stub = bin_dir / name
    stub.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        'with open(os.environ["STUB_LOG"], "a") as log:\n'
        f"    log.write(json.dumps([{name!r}, os.getcwd(), *sys.argv[1:]]) + '\\n')\n"
        f"{body}",
        encoding="utf-8",
    )
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)


def recorded(log: Path) -> list[list[str]]:
    """Every stub call: [name, cwd, *args]."""
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


# --- The same commands as a developer --------------------------------------------------


def test_ci_test_job_runs_the_local_entry_point_unchanged() -> None:
    """The CI test job runs `bash .ci/run` once, last, and no test or build command of its
    own: the other steps only prepare the machine (so there is no second list of commands)."""
    commands = [shlex.split(command) for command in run_commands(jobs(CI)["test"])]
    assert commands[-1] == ["bash", ".ci/run"]
    assert commands.count(["bash", ".ci/run"]) == 1
    test_tools = {"make", "pytest", "ruff", "mypy", "node", "npm", "npx"}
    assert not [words for words in commands[:-1] if test_tools & set(words)]


def test_ci_entry_point_runs_make_test(tmp_path: Path) -> None:
    """.ci/run (run for real, with apt-get and make recorded instead of executed) runs
    `make test`, the quick start's test command, exactly once and with CI=true."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.jsonl"
    log.touch()
    make_stub(bin_dir, "apt-get")
    make_stub(bin_dir, "make", 'assert os.environ["CI"] == "true", "CI=true was not exported"\n')
    subprocess.run(
        ["bash", str(ROOT / ".ci" / "run")],
        env={"PATH": f"{bin_dir}{os.pathsep}/usr/bin:/bin", "STUB_LOG": str(log)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    makes = [call[2:] for call in recorded(log) if call[0] == "make"]
    assert makes == [["test"]]


def workflow_make_targets() -> list[str]:
    """Every `make TARGET` a workflow runs (run: lines and scripts alike)."""
    targets = set()
    for _, _, job in all_jobs():
        for command in run_commands(job):
            targets.update(re.findall(r"(?:^|[\s;&|])make\s+([A-Za-z0-9_./-]+)", command))
    return sorted(targets)


@pytest.mark.parametrize("target", workflow_make_targets())
def test_make_targets_the_workflows_run_exist(target: str) -> None:
    """Each make target a workflow runs is one the Makefile can build (`make -n` accepts it)."""
    result = subprocess.run(
        ["make", "-n", "-C", str(ROOT), target],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def workflow_script_paths() -> list[str]:
    """Every repository script a workflow runs by path (./x.sh, scripts/x, .github/scripts/x)."""
    paths = set()
    for _, _, job in all_jobs():
        for command in run_commands(job):
            paths.update(re.findall(r"(?:^|\s)(?:\./)?((?:\.github/)?scripts/[\w.-]+)", command))
    return sorted(paths)


@pytest.mark.parametrize("script", workflow_script_paths())
def test_scripts_the_workflows_run_exist(script: str) -> None:
    """Each script a workflow runs exists; one run directly (not through an interpreter)
    is executable."""
    path = ROOT / script
    assert path.is_file(), script
    if path.suffix == ".sh":
        assert os.access(path, os.X_OK), f"{script} is not executable"


# --- Names and ports come from k8s/ -----------------------------------------------------


def test_images_are_the_deployments_images_built_where_build_images_builds_them(
    facts: dict[str, str], tmp_path: Path
) -> None:
    """The workflows' image list is every image the Deployments run, each paired with the
    directory that ./build-images.sh (run with a recording docker) builds it from."""
    images = json.loads(facts["images"])
    facts_names = facts_module().image_name
    deployed = {facts_names(container(doc)["image"]) for doc in of_kind("Deployment")}
    assert {image["name"] for image in images} == deployed

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.jsonl"
    log.touch()
    make_stub(bin_dir, "docker")
    subprocess.run(
        ["bash", str(ROOT / "build-images.sh")],
        env={"PATH": f"{bin_dir}{os.pathsep}/usr/bin:/bin", "STUB_LOG": str(log)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    built = set()
    for call in recorded(log):
        args = call[2:]
        if "--file" in args:
            dockerfile = Path(args[args.index("--file") + 1])
            tag = args[args.index("--tag") + 1]
            built.add((facts_names(tag), dockerfile.parent.name))
    assert {(image["name"], image["context"]) for image in images} == built


def test_namespace_is_the_manifests_namespace(facts: dict[str, str]) -> None:
    """The namespace the deploy waits in is the one Namespace object every object uses."""
    (namespace,) = of_kind("Namespace")
    assert facts["namespace"] == namespace["metadata"]["name"]
    assert {doc["metadata"].get("namespace") for doc in manifests() if doc is not namespace} == {
        facts["namespace"]
    }


def test_deployments_are_every_deployment(facts: dict[str, str]) -> None:
    """The deploy waits for the rollout of every Deployment in k8s/, no more, no fewer."""
    assert sorted(facts["deployments"].split()) == sorted(
        doc["metadata"]["name"] for doc in of_kind("Deployment")
    )


def test_ui_service_and_ports_reach_the_page(facts: dict[str, str]) -> None:
    """The smoke checks' Service selects the pods of the Deployment whose image is built
    from the directory holding index.html, and its port leads to that container's port."""
    images = {image["name"]: image["context"] for image in json.loads(facts["images"])}
    (service,) = [
        doc for doc in of_kind("Service") if doc["metadata"]["name"] == facts["ui-service"]
    ]
    targets = [
        doc
        for doc in of_kind("Deployment")
        if selects(service["spec"]["selector"], doc["spec"]["template"]["metadata"]["labels"])
    ]
    assert len(targets) == 1
    box = container(targets[0])
    context = images[facts_module().image_name(box["image"])]
    assert (ROOT / context / "index.html").is_file()
    (port,) = service["spec"]["ports"]
    assert str(port["port"]) == facts["ui-port"]
    assert str(port["nodePort"]) == facts["ui-nodeport"]
    container_ports = {p["name"]: p["containerPort"] for p in box["ports"]}
    assert port["targetPort"] in container_ports or port["targetPort"] in container_ports.values()
    assert pod_spec(targets[0])["containers"] == [box]


def manifest_values() -> set[str]:
    """Names and numbers k8s/ defines that a pipeline might be tempted to retype."""
    values = {doc["metadata"]["name"] for doc in of_kind("Namespace")}
    values |= {doc["metadata"]["name"] for doc in of_kind("Service")}
    values |= {facts_module().image_name(container(doc)["image"]) for doc in of_kind("Deployment")}
    for service in of_kind("Service"):
        values |= {str(port["nodePort"]) for port in service["spec"]["ports"] if "nodePort" in port}
    return values


@pytest.mark.parametrize(
    "path",
    sorted(p for p in (ROOT / ".github").rglob("*") if p.is_file()),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_pipeline_files_do_not_retype_manifest_values(path: Path) -> None:
    """No workflow or pipeline script spells a namespace, Service, image name or NodePort
    of k8s/: they read them through manifest_facts.py, so a rename cannot leave them behind."""
    text = path.read_text(encoding="utf-8")
    found = sorted(value for value in manifest_values() if re.search(rf"\b{value}\b", text))
    assert not found, f"{path.relative_to(ROOT)} retypes {found}"


def test_retyping_check_would_see_a_retyped_value() -> None:
    """The retyping check's values include the frontend NodePort and the namespace."""
    (namespace,) = of_kind("Namespace")
    assert namespace["metadata"]["name"] in manifest_values()
    nodeports = {
        str(port["nodePort"])
        for service in of_kind("Service")
        for port in service["spec"]["ports"]
        if "nodePort" in port
    }
    assert nodeports
    assert nodeports <= manifest_values()


# --- Pins, time limits, permissions ----------------------------------------------------


def uses_lines() -> list[tuple[str, int, str, str | None]]:
    """(file, line number, action reference, version comment) for each `uses:` line."""
    found = []
    for path in WORKFLOW_FILES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = USES_LINE.search(line.split("- ", 1)[-1]) if "uses:" in line else None
            if match:
                found.append((path.name, number, match.group(1), match.group(2)))
    return found


def test_every_action_is_pinned_to_a_commit_with_its_version() -> None:
    """Each `uses:` names owner/repo@<40-hex commit> and carries `# vX.Y.Z` beside it, or
    is a workflow of this repository (the same commit by definition) that exists."""
    lines = uses_lines()
    assert lines
    for name, number, ref, version in lines:
        if ref.startswith("./"):
            assert (ROOT / ref).is_file(), f"{name}:{number}: {ref} does not exist"
            continue
        assert SHA_PIN.match(ref), f"{name}:{number}: {ref} is not pinned to a commit"
        assert version, f"{name}:{number}: {ref} has no version comment"
        assert re.fullmatch(r"v\d+\.\d+\.\d+", version), f"{name}:{number}: {version}"


def test_each_action_has_one_pin_and_one_version_across_workflows() -> None:
    """An action is pinned to the same commit, under the same version, everywhere."""
    pins: dict[str, set[tuple[str, str | None]]] = {}
    for _, _, ref, version in uses_lines():
        action, _, sha = ref.partition("@")
        pins.setdefault(action, set()).add((sha, version))
    assert {action: pin for action, pin in pins.items() if len(pin) > 1} == {}


def test_parsed_uses_are_the_lines_checked() -> None:
    """The line scan sees every `uses:` the YAML parser sees (none hides in flow style)."""
    parsed = {
        step["uses"] for _, _, job in all_jobs() for step in job.get("steps", []) if "uses" in step
    } | {job["uses"] for _, _, job in all_jobs() if "uses" in job}
    assert parsed == {ref for _, _, ref, _ in uses_lines()}


@pytest.mark.parametrize(("workflow", "job_id", "job"), job_params())
def test_every_job_has_a_time_limit(workflow: str, job_id: str, job: dict[str, Any]) -> None:
    """Every job stops by itself: timeout-minutes between 1 and 90 (a job that calls another
    workflow of this repository has the limits of that workflow's jobs)."""
    if "uses" in job:
        assert job["uses"].startswith("./.github/workflows/"), f"{workflow}:{job_id}"
        return
    assert isinstance(job.get("timeout-minutes"), int), f"{workflow}:{job_id}"
    assert 1 <= job["timeout-minutes"] <= 90


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_workflow_grants_read_only_and_groups_its_runs(path: Path) -> None:
    """Top-level permissions are contents: read only, and runs share a concurrency group;
    where a run can wait for an approval (a deploy), each deploying job has a group of its
    own that never cancels, so a waiting release does not hold back a newer tag's build."""
    workflow = load(path)
    assert workflow["permissions"] == {"contents": "read"}
    deploys = [job for job in workflow["jobs"].values() if "environment" in job]
    if deploys:
        assert "concurrency" not in workflow
        for job in deploys:
            assert job["concurrency"]["group"]
            assert job["concurrency"].get("cancel-in-progress", False) is False
    else:
        assert workflow["concurrency"]["group"]


@pytest.mark.parametrize(("workflow", "job_id", "job"), job_params())
def test_jobs_widen_permissions_only_for_what_they_run(
    workflow: str, job_id: str, job: dict[str, Any]
) -> None:
    """A job's grants come from the allowed list; it may mint an OIDC token only if it signs
    with cosign, and push packages only if it pushes images."""
    grants = set(job.get("permissions", {}).items())
    assert grants <= ALLOWED_GRANTS, f"{workflow}:{job_id}: {grants - ALLOWED_GRANTS}"
    steps = job.get("steps", [])
    signs = any("cosign sign" in step.get("run", "") for step in steps)
    pushes = any(step.get("with", {}).get("push") is True for step in steps)
    assert (("id-token", "write") in grants) == signs, f"{workflow}:{job_id}"
    assert (("packages", "write") in grants) == pushes, f"{workflow}:{job_id}"


# --- The shape of the release -----------------------------------------------------------


def test_release_deploys_staging_then_production_the_same_way() -> None:
    """Production waits for staging, each in its own environment, with identical steps."""
    release = jobs(RELEASE)
    assert release["staging"]["environment"] == "staging"
    assert release["production"]["environment"] == "production"
    assert release["production"]["needs"] == "staging"
    assert release["staging"]["steps"] == release["production"]["steps"]
    assert any(
        ".github/scripts/deploy-release.sh" in run for run in run_commands(release["staging"])
    )


def test_release_builds_both_architectures_and_attests() -> None:
    """The published images are multi-arch, with SBOM and provenance attestations."""
    (build,) = [
        step for step in jobs(RELEASE)["image"]["steps"] if step.get("with", {}).get("push")
    ]
    assert set(build["with"]["platforms"].split(",")) == {"linux/amd64", "linux/arm64"}
    assert build["with"]["sbom"] is True
    assert build["with"]["provenance"].startswith("mode=")


def test_e2e_matrix_starts_at_the_oldest_kubernetes_the_deploy_accepts() -> None:
    """The oldest kind node image is the minimum minor `make deploy` enforces (which the
    release's deploy reads too); every node image is pinned by digest and is the Kubernetes
    version its matrix entry names."""
    entries = jobs(CI)["e2e"]["strategy"]["matrix"]["include"]
    minimum = re.search(
        r"^readonly MIN_SERVER_MINOR=(\d+)$",
        (ROOT / "scripts" / "deploy.sh").read_text(encoding="utf-8"),
        re.MULTILINE,
    )
    assert minimum is not None
    assert "scripts/deploy.sh" in (SCRIPTS_DIR / "deploy-release.sh").read_text(encoding="utf-8")
    minors = []
    for entry in entries:
        image = entry["node-image"]
        assert re.fullmatch(r"kindest/node:v[\d.]+@sha256:[0-9a-f]{64}", image), image
        assert image.startswith(f"kindest/node:v{entry['kubernetes']}."), image
        minors.append(int(entry["kubernetes"].split(".")[1]))
    assert min(minors) == int(minimum.group(1))
    assert len(set(minors)) == len(minors) >= 2


def test_e2e_job_passes_the_node_image_the_e2e_script_reads() -> None:
    """The e2e job hands the matrix's node image to `make e2e` in the variable that
    scripts/e2e-kind.sh passes to `kind create cluster --image`."""
    (step,) = [s for s in jobs(CI)["e2e"]["steps"] if "make e2e" in s.get("run", "")]
    (variable,) = step["env"]
    assert step["env"][variable] == "${{ matrix.node-image }}"
    script = (ROOT / "scripts" / "e2e-kind.sh").read_text(encoding="utf-8")
    assert re.search(rf'--image "\${variable}"', script)


# --- The smoke checks, against the real nginx + gunicorn ---------------------------------


def smoke(*args: str) -> subprocess.CompletedProcess[str]:
    """Run .github/scripts/smoke.py as the workflows do."""
    return subprocess.run(
        [sys.executable, str(SCRIPTS_DIR / "smoke.py"), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.integration
def test_http_smoke_passes_through_nginx(nginx_server: Server) -> None:
    """The deploy's HTTP check passes against the real UI server proxying the real API."""
    result = smoke("http", nginx_server.url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "http OK" in result.stdout


@pytest.mark.integration
def test_http_smoke_fails_where_there_is_no_page(gunicorn_server: Server) -> None:
    """Pointed at the API alone (healthy, but no UI page), the check fails and says why."""
    result = smoke("http", gunicorn_server.url)
    assert result.returncode != 0
    assert "GET / answered 404" in result.stderr


@pytest.mark.browser
def test_browser_smoke_types_a_sum_into_the_page(nginx_server: Server, tmp_path: Path) -> None:
    """CI's browser check passes in headless Chromium against the real page, and leaves
    a screenshot."""
    executable = require_executable(*CHROMIUM_CANDIDATES)
    result = smoke(
        "browser", nginx_server.url, "--browser", executable, "--artifacts", str(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "smoke-browser.png").stat().st_size > 0


# --- The release deploy, against recording kubectl and kustomize -----------------------

# kustomize >= 5.2's `edit set image NAME=REPO:TAG@DIGEST`, on ./Kustomization.
FAKE_KUSTOMIZE = """
import subprocess, yaml
if sys.argv[1:2] == ["build"]:  # rendered by the real kubectl's kustomize
    print(subprocess.run(
        [os.environ["REAL_KUBECTL"], "kustomize", sys.argv[2]], capture_output=True, text=True,
        check=True,
    ).stdout)
    sys.exit(0)
assert sys.argv[1:4] == ["edit", "set", "image"], sys.argv
name, _, ref = sys.argv[4].partition("=")
repo_tag, _, digest = ref.partition("@")
repo, _, tag = repo_tag.rpartition(":")
settings = yaml.safe_load(open("Kustomization"))
entries = [entry for entry in settings.setdefault("images", []) if entry["name"] == name]
entry = entries[0] if entries else {"name": name}
if not entries:
    settings["images"].append(entry)
entry.update(newName=repo, newTag=tag, digest=digest)
yaml.safe_dump(settings, open("Kustomization", "w"))
"""

# A cluster of one namespace: apply -f - keeps what kustomize build rendered; get answers
# from it; port-forward relays to FAKE_FORWARD_PORT.
FAKE_KUBECTL = """
import socket, subprocess, threading, yaml
args = sys.argv[1:]
if args[:1] == ["-n"]:
    args = args[2:]
state = os.environ["FAKE_STATE"]
if args[:1] == ["version"]:
    print(json.dumps({"serverVersion": {"major": "1", "minor": os.environ["FAKE_MINOR"]}}))
elif args[:3] == ["apply", "-f", "-"]:
    open(state, "w").write(sys.stdin.read())
elif args[:2] == ["get", "deployments"]:
    docs = [d for d in yaml.safe_load_all(open(state)) if d and d["kind"] == "Deployment"]
    print(" ".join(c["image"] for d in docs for c in d["spec"]["template"]["spec"]["containers"]))
elif args[:1] == ["port-forward"]:
    local = int(args[2].split(":")[0])
    listener = socket.create_server(("127.0.0.1", local))

    def pipe(source, sink):
        while data := source.recv(65536):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)

    while True:
        client, _ = listener.accept()
        upstream = socket.create_connection(("127.0.0.1", int(os.environ["FAKE_FORWARD_PORT"])))
        threading.Thread(target=pipe, args=(client, upstream), daemon=True).start()
        threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
"""


def released_refs(facts: dict[str, str], directory: Path) -> dict[str, str]:
    """One released reference (tag and a made-up digest) per image, written as the release
    workflow's image job writes them."""
    directory.mkdir()
    refs = {}
    for image in json.loads(facts["images"]):
        digest = hashlib.sha256(image["name"].encode()).hexdigest()
        refs[image["name"]] = f"ghcr.io/example/{image['name']}:{facts['version']}@sha256:{digest}"
        (directory / image["name"]).write_text(refs[image["name"]] + "\n", encoding="utf-8")
    return refs


def deploy_release(
    tmp_path: Path, refs_dir: Path, forward_port: int, minor: str = "30"
) -> tuple[subprocess.CompletedProcess[str], list[list[str]]]:
    """Run deploy-release.sh with the fake kubectl and kustomize; its result and their calls."""
    real_kubectl = require_executable("kubectl")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.jsonl"
    log.touch()
    make_stub(bin_dir, "kustomize", FAKE_KUSTOMIZE)
    make_stub(bin_dir, "kubectl", FAKE_KUBECTL)
    result = subprocess.run(
        ["bash", str(SCRIPTS_DIR / "deploy-release.sh"), "--refs-dir", str(refs_dir)],
        env={
            "PATH": f"{bin_dir}{os.pathsep}/usr/bin:/bin",
            "PYTHON": sys.executable,
            "STUB_LOG": str(log),
            "REAL_KUBECTL": real_kubectl,
            "FAKE_STATE": str(tmp_path / "cluster.yaml"),
            "FAKE_MINOR": minor,
            "FAKE_FORWARD_PORT": str(forward_port),
            "HOME": str(tmp_path),
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return result, recorded(log)


@pytest.mark.integration
def test_release_deploy_applies_tag_and_digest_waits_and_smoke_checks(
    facts: dict[str, str], nginx_server: Server, tmp_path: Path
) -> None:
    """deploy-release.sh sets every image to its released tag@digest in a scratch copy of
    k8s/ (kustomize edit), renders it with that kustomize and applies the result (which
    runs those exact references), waits for every Deployment's rollout in the namespace,
    and passes the HTTP smoke check through a port-forward to the UI Service's port."""
    refs = released_refs(facts, tmp_path / "refs")
    result, calls = deploy_release(tmp_path, tmp_path / "refs", nginx_server.port)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "http OK" in result.stdout

    edits = [call for call in calls if call[0] == "kustomize" and "edit" in call]
    assert sorted(call[-1] for call in edits) == sorted(f"{n}={r}" for n, r in refs.items())
    (workdir,) = {call[1] for call in edits}
    assert Path(workdir) != ROOT / "k8s"
    builds = [call[2:] for call in calls if call[0] == "kustomize" and "build" in call]
    assert builds == [["build", workdir]]
    applies = [call for call in calls if call[0] == "kubectl" and "apply" in call]
    assert [call[2:] for call in applies] == [["apply", "-f", "-"]]

    rendered = yaml.safe_load_all((tmp_path / "cluster.yaml").read_text(encoding="utf-8"))
    deployed = {
        box["image"]
        for doc in rendered
        if doc and doc["kind"] == "Deployment"
        for box in doc["spec"]["template"]["spec"]["containers"]
    }
    assert deployed == set(refs.values())

    waits = [call[2:] for call in calls if call[0] == "kubectl" and "rollout" in call]
    assert sorted(waits) == sorted(
        ["-n", facts["namespace"], "rollout", "status", f"deployment/{name}", "--timeout=300s"]
        for name in facts["deployments"].split()
    )
    (forward,) = [call[2:] for call in calls if call[0] == "kubectl" and "port-forward" in call]
    assert forward[:4] == [
        "-n",
        facts["namespace"],
        "port-forward",
        f"service/{facts['ui-service']}",
    ]
    assert forward[4].endswith(f":{facts['ui-port']}")


@pytest.mark.parametrize(
    ("minor", "ref", "message"),
    [
        ("29", None, "1.30 or newer is needed"),
        ("30", "ghcr.io/example/image:1.0.0", "not REPO:TAG@sha256:DIGEST"),
    ],
    ids=["cluster-too-old", "reference-without-digest"],
)
def test_release_deploy_refuses_before_applying(
    facts: dict[str, str], tmp_path: Path, minor: str, ref: str | None, message: str
) -> None:
    """A cluster older than the manifests need, or a reference without its digest, stops
    the deploy with the reason before anything is applied."""
    refs = released_refs(facts, tmp_path / "refs")
    if ref is not None:
        (tmp_path / "refs" / next(iter(refs))).write_text(ref, encoding="utf-8")
    result, calls = deploy_release(tmp_path, tmp_path / "refs", forward_port=9, minor=minor)
    assert result.returncode != 0
    assert message in result.stderr
    assert not [call for call in calls if "apply" in call]
