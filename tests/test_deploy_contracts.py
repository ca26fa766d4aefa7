"""Contracts between files: every name, port and number that two files must agree on.

One test per row of docs/design.md and per cross-file promise of the deployment (selectors
and labels, ports, images, users, commands, shutdown timing). Changing a value in one
file only makes the named test here fail.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests
from deploy_support import (
    COMPOSE_FILE,
    DOCKERFILES,
    IMAGE_NAMES,
    NAMESPACE,
    SCRIPTS,
    VERSION,
    compose,
    container,
    copies,
    env_values,
    final_user,
    find,
    gunicorn_default_port,
    gunicorn_settings,
    instructions,
    kustomization,
    manifests,
    of_kind,
    pod_spec,
    selects,
)
from nginx_server import run_local, run_nginx

from servers import GUNICORN_ARGV, ROOT, run_gunicorn

BACKEND_PORT = 5000
FRONTEND_PORT = 8080

# docs/design.md, as data: the values every file below must agree with.
RESOURCES = {
    "backend": {
        "requests": {"cpu": "200m", "memory": "128Mi"},
        "limits": {"cpu": "500m", "memory": "256Mi"},
    },
    "frontend": {
        "requests": {"cpu": "50m", "memory": "32Mi"},
        "limits": {"cpu": "100m", "memory": "64Mi"},
    },
}
SERVICES = {
    # name: (type, port, container port, nodePort or None, Deployment behind it)
    "backend-svc": ("ClusterIP", BACKEND_PORT, BACKEND_PORT, None, "backend"),
    "backend-svc-nodeport": ("NodePort", BACKEND_PORT, BACKEND_PORT, 30002, "backend"),
    "frontend-svc": ("NodePort", 80, FRONTEND_PORT, 30001, "frontend"),
}
PROBES = {
    "backend": {
        "startupProbe": "/healthz",
        "livenessProbe": "/healthz",
        "readinessProbe": "/readyz",
    },
    "frontend": {"livenessProbe": "/healthz", "readinessProbe": "/healthz"},
}


def _container_port(deployment: dict[str, Any], target: int | str) -> int:
    """The container port a Service targetPort or probe port (number or name) refers to."""
    ports = container(deployment)["ports"]
    if isinstance(target, int):
        assert target in [port["containerPort"] for port in ports]
        return target
    (port,) = [port for port in ports if port["name"] == target]
    number: int = port["containerPort"]
    return number


# --- Row: namespace --------------------------------------------------------------------


def test_namespace_is_frontend_ns_everywhere() -> None:
    """The Namespace is frontend-ns and every other object lives in it."""
    (namespace,) = of_kind("Namespace")
    assert namespace["metadata"]["name"] == NAMESPACE
    for doc in manifests():
        if doc["kind"] != "Namespace":
            assert doc["metadata"]["namespace"] == NAMESPACE


# --- Rows: container ports and Services -----------------------------------------------


def test_backend_listens_where_its_manifest_and_image_say() -> None:
    """gunicorn's default port = containerPort = EXPOSE = the healthcheck's default port."""
    assert gunicorn_default_port() == BACKEND_PORT
    deployment = find("Deployment", "backend")
    assert [port["containerPort"] for port in container(deployment)["ports"]] == [BACKEND_PORT]
    dockerfile = DOCKERFILES["backend"]
    assert [item.args for item in instructions(dockerfile, "EXPOSE")] == [str(BACKEND_PORT)]
    (healthcheck,) = instructions(dockerfile, "HEALTHCHECK")
    assert f"'{BACKEND_PORT}'" in healthcheck.args
    # The image sets no CALCULATOR_HOST/_PORT: gunicorn.conf.py's defaults are the truth.
    assert {"CALCULATOR_HOST", "CALCULATOR_PORT"}.isdisjoint(env_values(dockerfile))


def test_frontend_listens_where_its_manifest_and_image_say() -> None:
    """nginx's listen default = containerPort = EXPOSE = the healthcheck's port."""
    assert run_local.template_defaults()["CALCULATOR_LISTEN_ADDRESS"] == str(FRONTEND_PORT)
    deployment = find("Deployment", "frontend")
    assert [port["containerPort"] for port in container(deployment)["ports"]] == [FRONTEND_PORT]
    dockerfile = DOCKERFILES["frontend"]
    assert [item.args for item in instructions(dockerfile, "EXPOSE")] == [str(FRONTEND_PORT)]
    (healthcheck,) = instructions(dockerfile, "HEALTHCHECK")
    assert f"127.0.0.1:{FRONTEND_PORT}/healthz" in healthcheck.args


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_service_ports_and_selector(name: str) -> None:
    """Type, port, NodePort as in docs/design.md; targetPort resolves to the containerPort
    of the Deployment whose pods the selector picks (and only that Deployment's)."""
    kind, port, container_port, node_port, deployment_name = SERVICES[name]
    service = find("Service", name)
    spec = service["spec"]
    assert spec["type"] == kind
    (entry,) = spec["ports"]
    assert entry["port"] == port
    assert entry.get("protocol", "TCP") == "TCP"
    assert entry.get("nodePort") == node_port
    selected = [
        doc["metadata"]["name"]
        for doc in of_kind("Deployment")
        if selects(spec["selector"], doc["spec"]["template"]["metadata"]["labels"])
    ]
    assert selected == [deployment_name]
    deployment = find("Deployment", deployment_name)
    assert _container_port(deployment, entry["targetPort"]) == container_port


def test_node_ports_are_distinct_and_in_the_default_range() -> None:
    """30001 and 30002, inside the API server's default NodePort range."""
    node_ports = [
        port["nodePort"]
        for service in of_kind("Service")
        for port in service["spec"]["ports"]
        if "nodePort" in port
    ]
    assert sorted(node_ports) == [30001, 30002]
    assert all(30000 <= port <= 32767 for port in node_ports)


def test_nginx_default_upstream_is_the_backend_service() -> None:
    """The frontend's default CALCULATOR_BACKEND_HOST:BACKEND_PORT (template table and image ENV)
    is backend-svc and its port, and compose points the same variables at its backend."""
    defaults = run_local.template_defaults()
    image_env = env_values(DOCKERFILES["frontend"])
    service = find("Service", defaults["CALCULATOR_BACKEND_HOST"])
    assert service["spec"]["type"] == "ClusterIP"
    assert (
        image_env["CALCULATOR_BACKEND_HOST"] == defaults["CALCULATOR_BACKEND_HOST"] == "backend-svc"
    )
    (port,) = service["spec"]["ports"]
    assert (
        image_env["CALCULATOR_BACKEND_PORT"]
        == defaults["CALCULATOR_BACKEND_PORT"]
        == str(port["port"])
    )
    services = compose()["services"]
    assert services["frontend"]["environment"]["CALCULATOR_BACKEND_HOST"] == "backend"
    assert services["frontend"]["environment"]["CALCULATOR_BACKEND_PORT"] == str(
        gunicorn_default_port()
    )


def test_frontend_image_sets_every_template_default() -> None:
    """The image's ENV gives each template variable the default in the template's table
    (the entrypoint substitutes only variables that are set)."""
    defaults = run_local.template_defaults()
    image_env = env_values(DOCKERFILES["frontend"])
    assert {name: image_env.get(name) for name in defaults} == defaults


def test_frontend_static_root_is_where_the_image_copies_the_ui() -> None:
    """CALCULATOR_STATIC_ROOT's default is the directory the Dockerfile copies index.html into."""
    static_root = run_local.template_defaults()["CALCULATOR_STATIC_ROOT"]
    destinations = {
        source: copy_.destination
        for copy_ in copies(DOCKERFILES["frontend"])
        for source in copy_.sources
    }
    assert destinations["index.html"] == f"{static_root}/index.html"
    assert destinations["assets/"] == f"{static_root}/assets/"
    assert destinations["nginx/default.conf.template"].startswith("/etc/nginx/templates/")


# --- Row: images -----------------------------------------------------------------------


def test_image_names_are_identical_everywhere() -> None:
    """Manifests, Kustomization, compose and all four scripts name the same two images,
    and each file names both of them."""
    manifest_images = {container(doc)["image"].split(":")[0] for doc in of_kind("Deployment")}
    assert manifest_images == set(IMAGE_NAMES)
    assert {item["name"] for item in kustomization()["images"]} == set(IMAGE_NAMES)
    compose_images = {service["image"].split(":")[0] for service in compose()["services"].values()}
    assert compose_images == set(IMAGE_NAMES)
    for script in SCRIPTS:
        text = (ROOT / script).read_text(encoding="utf-8")
        named = set(re.findall(r"k8s-calculator-[a-z]+", text))
        assert named == set(IMAGE_NAMES), script
    for component, dockerfile in DOCKERFILES.items():
        title = re.search(r'org\.opencontainers\.image\.title="([^"]+)"', dockerfile.read_text())
        assert title is not None
        assert title.group(1) == f"k8s-calculator-{component}"


def test_image_tags_are_the_version_file() -> None:
    """The manifests' tags and the Kustomization's newTag are the VERSION file."""
    for doc in of_kind("Deployment"):
        assert container(doc)["image"].split(":")[1] == VERSION
    assert {item["newTag"] for item in kustomization()["images"]} == {VERSION}


def test_compose_builds_each_image_from_its_directory() -> None:
    """compose builds k8s-calculator-X from X/ (the directory holding X's Dockerfile)."""
    for name, service in compose()["services"].items():
        assert service["build"]["context"] == f"./{name}"
        assert service["image"].startswith(f"k8s-calculator-{name}:")
        assert (COMPOSE_FILE.parent / name / "Dockerfile").is_file()


def test_backend_version_matches_the_version_file() -> None:
    """calculator.__version__ (shown by /api/v1/info) is the VERSION file."""
    import calculator  # noqa: PLC0415 - imported where the contract is stated

    assert calculator.__version__ == VERSION


# --- Row: resources, replicas, spreading ------------------------------------------------


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_resources_equal_the_design_table(name: str) -> None:
    """Requests and limits exactly as docs/design.md."""
    assert container(find("Deployment", name))["resources"] == RESOURCES[name]


@pytest.mark.parametrize("name", ["backend", "frontend"])
def test_two_replicas_spread_across_nodes(name: str) -> None:
    """2 replicas; preferred (not required) anti-affinity on kubernetes.io/hostname that
    selects the Deployment's own pods."""
    deployment = find("Deployment", name)
    assert deployment["spec"]["replicas"] == 2
    affinity = pod_spec(deployment)["affinity"]["podAntiAffinity"]
    assert "requiredDuringSchedulingIgnoredDuringExecution" not in affinity
    (term,) = affinity["preferredDuringSchedulingIgnoredDuringExecution"]
    assert term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selects(term["podAffinityTerm"]["labelSelector"]["matchLabels"], labels)


def test_autoscaler_floor_is_the_deployment_replicas() -> None:
    """The HPA scales the backend Deployment with minReplicas = its replicas (2)."""
    (hpa,) = of_kind("HorizontalPodAutoscaler")
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["apiVersion"]) == ("Deployment", "apps/v1")
    deployment = find("Deployment", target["name"])
    assert target["name"] == "backend"
    assert hpa["spec"]["minReplicas"] == deployment["spec"]["replicas"] == 2
    assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]


# --- Selectors and labels ---------------------------------------------------------------


def test_deployment_selectors_match_their_pod_labels() -> None:
    """Each Deployment's selector picks its own pod template, and no other Deployment's."""
    deployments = of_kind("Deployment")
    for deployment in deployments:
        selector = deployment["spec"]["selector"]["matchLabels"]
        picked = [
            doc["metadata"]["name"]
            for doc in deployments
            if selects(selector, doc["spec"]["template"]["metadata"]["labels"])
        ]
        assert picked == [deployment["metadata"]["name"]]


def test_disruption_budgets_cover_each_deployment_once() -> None:
    """One PodDisruptionBudget per Deployment, selecting exactly its pods."""
    for deployment in of_kind("Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        covering = [
            pdb
            for pdb in of_kind("PodDisruptionBudget")
            if selects(pdb["spec"]["selector"]["matchLabels"], labels)
        ]
        assert len(covering) == 1, deployment["metadata"]["name"]


def test_network_policy_lets_only_the_frontend_and_outside_clients_reach_the_backend() -> None:
    """Default deny for every pod; the backend policy admits frontend pods and addresses
    outside the pod network (the debug NodePort) on the backend's port; the frontend is
    open on its own port only."""
    backend = find("Deployment", "backend")
    frontend = find("Deployment", "frontend")
    backend_labels = backend["spec"]["template"]["metadata"]["labels"]
    frontend_labels = frontend["spec"]["template"]["metadata"]["labels"]

    deny = find("NetworkPolicy", "default-deny-ingress")
    assert deny["spec"]["podSelector"] == {}
    assert deny["spec"]["policyTypes"] == ["Ingress"]
    assert "ingress" not in deny["spec"]

    policy = find("NetworkPolicy", "backend-ingress")
    assert selects(policy["spec"]["podSelector"]["matchLabels"], backend_labels)
    assert not selects(policy["spec"]["podSelector"]["matchLabels"], frontend_labels)
    from_pods, from_outside = policy["spec"]["ingress"]
    for rule in (from_pods, from_outside):
        assert rule["ports"] == [{"protocol": "TCP", "port": BACKEND_PORT}]
    (peer,) = from_pods["from"]
    assert set(peer) == {"podSelector"}, "same namespace, frontend pods only"
    assert selects(peer["podSelector"]["matchLabels"], frontend_labels)
    assert not selects(peer["podSelector"]["matchLabels"], backend_labels)
    (outside,) = from_outside["from"]
    assert outside["ipBlock"]["cidr"] == "0.0.0.0/0"
    assert outside["ipBlock"]["except"], "the pod network must be excluded"

    open_policy = find("NetworkPolicy", "frontend-ingress")
    assert selects(open_policy["spec"]["podSelector"]["matchLabels"], frontend_labels)
    (rule,) = open_policy["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": FRONTEND_PORT}]


# --- Row: probes ------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PROBES))
def test_probes_use_the_design_paths_on_the_serving_port(name: str) -> None:
    """Probe paths as docs/design.md, on the port the Service targets."""
    deployment = find("Deployment", name)
    box = container(deployment)
    probes = {key: box[key]["httpGet"]["path"] for key in PROBES[name] if key in box}
    assert probes == PROBES[name]
    for key in PROBES[name]:
        port = _container_port(deployment, box[key]["httpGet"]["port"])
        assert port == box["ports"][0]["containerPort"]
        assert box[key]["timeoutSeconds"] < box[key]["periodSeconds"]


@pytest.mark.integration
def test_backend_probe_paths_answer_200_on_the_running_app() -> None:
    """The production gunicorn command answers every backend probe path with 200."""
    box = container(find("Deployment", "backend"))
    paths = {box[key]["httpGet"]["path"] for key in PROBES["backend"]}
    with run_gunicorn() as server:
        for path in sorted(paths):
            assert requests.get(server.url + path, timeout=5).status_code == 200, path


@pytest.mark.integration
def test_frontend_probe_path_answers_200_from_nginx_alone() -> None:
    """Real nginx with the image's template answers the frontend probe path with 200,
    with no backend running (a backend outage must not fail the frontend's probes)."""
    box = container(find("Deployment", "frontend"))
    paths = {box[key]["httpGet"]["path"] for key in PROBES["frontend"]}
    with run_nginx(backend_port=9) as server:  # nothing listens on the discard port
        for path in sorted(paths):
            assert requests.get(server.url + path, timeout=5).status_code == 200, path


# --- Users, commands, shutdown timing ----------------------------------------------------


@pytest.mark.parametrize("name", ["backend", "frontend"])
def test_dockerfile_user_is_the_pods_run_as_user(name: str) -> None:
    """The image's numeric USER uid:gid = runAsUser:runAsGroup (pod and container)."""
    uid, gid = final_user(DOCKERFILES[name])
    deployment = find("Deployment", name)
    pod = pod_spec(deployment)["securityContext"]
    box = container(deployment)["securityContext"]
    assert (pod["runAsUser"], pod["runAsGroup"], pod["fsGroup"]) == (uid, gid, gid)
    assert (box["runAsUser"], box["runAsGroup"]) == (uid, gid)


def test_backend_cmd_is_the_command_the_tests_run() -> None:
    """The Dockerfile's CMD is servers.GUNICORN_ARGV (and `make run`'s), run from WORKDIR."""
    dockerfile = DOCKERFILES["backend"]
    (cmd,) = instructions(dockerfile, "CMD")
    assert cmd.exec_form() == GUNICORN_ARGV == run_local.GUNICORN_ARGV
    assert not instructions(dockerfile, "ENTRYPOINT")
    workdir = instructions(dockerfile, "WORKDIR")[-1].args
    copied = {source: copy_.destination for copy_ in copies(dockerfile) for source in copy_.sources}
    # gunicorn.conf.py and the calculator package sit side by side in WORKDIR, as in backend/.
    assert copied["gunicorn.conf.py"] in ("./", f"{workdir}/")
    assert copied["calculator/"] in ("./calculator/", f"{workdir}/calculator/")


def test_backend_shutdown_fits_the_grace_period() -> None:
    """preStop sleep >= one readiness period (the pod leaves every endpoint list before
    SIGTERM), and preStop + CALCULATOR_DRAIN_SECONDS + CALCULATOR_GRACEFUL_TIMEOUT (gunicorn.conf.py
    defaults) + 5 s margin <= terminationGracePeriodSeconds."""
    deployment = find("Deployment", "backend")
    box = container(deployment)
    pre_stop = box["lifecycle"]["preStop"]["sleep"]["seconds"]
    settings = gunicorn_settings()
    drain = settings["DEFAULT_SHUTDOWN_DRAIN_SECONDS"]
    graceful = settings["graceful_timeout"]
    readiness = box["readinessProbe"]
    assert pre_stop >= readiness["periodSeconds"]
    # While draining, /readyz answers 503: the probe sees it before the listener closes.
    assert drain >= readiness["periodSeconds"]
    grace = pod_spec(deployment)["terminationGracePeriodSeconds"]
    assert pre_stop + drain + graceful + 5 <= grace
    # ... and not wastefully longer: a stuck pod is killed within 10 s of the budget.
    assert grace <= pre_stop + drain + graceful + 10
    env = {item["name"] for item in box.get("env", [])}
    assert {"CALCULATOR_DRAIN_SECONDS", "CALCULATOR_GRACEFUL_TIMEOUT"}.isdisjoint(env), (
        "the manifest relies on gunicorn.conf.py's defaults; change them there"
    )


def test_frontend_shutdown_fits_the_grace_period() -> None:
    """preStop >= one readiness period; preStop + the longest proxied request
    (CALCULATOR_PROXY_READ_TIMEOUT) + 5 s margin <= terminationGracePeriodSeconds."""
    deployment = find("Deployment", "frontend")
    box = container(deployment)
    pre_stop = box["lifecycle"]["preStop"]["sleep"]["seconds"]
    read_timeout = run_local.template_defaults()["CALCULATOR_PROXY_READ_TIMEOUT"]
    assert read_timeout.endswith("s")
    assert pre_stop >= box["readinessProbe"]["periodSeconds"]
    grace = pod_spec(deployment)["terminationGracePeriodSeconds"]
    assert pre_stop + int(read_timeout[:-1]) + 5 <= grace


def test_compose_stop_grace_covers_the_backend_drain() -> None:
    """compose waits at least drain + graceful stop before killing the backend."""
    settings = gunicorn_settings()
    grace = compose()["services"]["backend"]["stop_grace_period"]
    assert grace.endswith("s")
    needed = settings["DEFAULT_SHUTDOWN_DRAIN_SECONDS"] + settings["graceful_timeout"]
    assert int(grace[:-1]) >= needed


# --- compose ------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "port"), [("backend", BACKEND_PORT), ("frontend", FRONTEND_PORT)])
def test_compose_runs_each_service_hardened_on_its_port(name: str, port: int) -> None:
    """localhost:5000 and localhost:8080 (loopback only), read-only root, no
    capabilities, no-new-privileges, a healthcheck on the probe path, tmpfs for /tmp."""
    service = compose()["services"][name]
    assert service["ports"] == [f"127.0.0.1:{port}:{port}"]
    assert service["read_only"] is True
    assert service["cap_drop"] == ["ALL"]
    assert "no-new-privileges:true" in service["security_opt"]
    assert any(entry.split(":")[0] == "/tmp" for entry in service["tmpfs"])  # noqa: S108
    assert "/healthz" in " ".join(service["healthcheck"]["test"])
    assert f"127.0.0.1:{port}/healthz" in " ".join(service["healthcheck"]["test"])
    assert "user" not in service, "the image's numeric USER applies"


def test_compose_gives_nginx_a_writable_conf_d() -> None:
    """With a read-only root, the rendered site config needs a tmpfs on conf.d, as the
    Kubernetes Deployment has an emptyDir there."""
    tmpfs = compose()["services"]["frontend"]["tmpfs"]
    assert any(entry.split(":")[0] == "/etc/nginx/conf.d" for entry in tmpfs)
    mounts = {m["mountPath"] for m in container(find("Deployment", "frontend"))["volumeMounts"]}
    assert mounts == {"/etc/nginx/conf.d", "/tmp"}  # noqa: S108
