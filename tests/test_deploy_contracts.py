"""Contracts between files: every name, port and number that two files must agree on.

One test per row of docs/design.md and per cross-file promise of the deployment (selectors
and labels, ports, images, users, commands, shutdown timing). Changing a value in one
file only makes the named test here fail.
"""

from __future__ import annotations

import ipaddress
import math
import re
from typing import Any

import pytest
import requests
from deploy_support import (
    COMPOSE_FILE,
    DOCKERFILES,
    IMAGE_NAMES,
    NAMESPACE,
    VERSION,
    Endpoint,
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
    network_allows,
    of_kind,
    pod_of,
    pod_spec,
    selects,
)
from nginx_server import run_nginx

import serve
from servers import FRONTEND_DIR, GUNICORN_ARGV, run_gunicorn

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
    assert serve.nginx_defaults()["CALCULATOR_LISTEN_ADDRESS"] == str(FRONTEND_PORT)
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
    """The frontend's default CALCULATOR_BACKEND_HOST:_PORT (the image's ENV) is backend-svc
    and its port, and compose points the same variables at its backend."""
    defaults = serve.nginx_defaults()
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


def test_frontend_image_sets_every_template_variable() -> None:
    """Every ${CALCULATOR_...} in the site templates has a default in the image's ENV (the
    entrypoint substitutes only variables that are set, and only the app's own)."""
    used = {
        name
        for template in (serve.FRONTEND_DIR / "nginx").glob("*.template")
        for name in re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", template.read_text())
    }
    assert used
    assert used <= serve.nginx_defaults().keys()
    assert (
        env_values(DOCKERFILES["frontend"])["NGINX_ENVSUBST_FILTER"] == "^" + serve.TEMPLATE_PREFIX
    )


def test_frontend_static_root_is_where_the_image_copies_the_ui() -> None:
    """CALCULATOR_STATIC_ROOT's default is the directory the Dockerfile copies index.html into."""
    static_root = serve.nginx_defaults()["CALCULATOR_STATIC_ROOT"]
    destinations = {
        source: copy_.destination
        for copy_ in copies(DOCKERFILES["frontend"])
        for source in copy_.sources
    }
    assert destinations["index.html"] == f"{static_root}/index.html"
    assert destinations["assets/"] == f"{static_root}/assets/"
    assert destinations["nginx/default.conf.template"] == "/etc/nginx/templates/"


# --- Row: images -----------------------------------------------------------------------


def test_image_names_are_identical_everywhere() -> None:
    """Manifests, Kustomization, compose and the image titles name the same two images
    (the scripts' names are checked by running them: tests/test_deploy_scripts.py)."""
    manifest_images = {container(doc)["image"].split(":")[0] for doc in of_kind("Deployment")}
    assert manifest_images == set(IMAGE_NAMES)
    assert {item["name"] for item in kustomization()["images"]} == set(IMAGE_NAMES)
    compose_images = {service["image"].split(":")[0] for service in compose()["services"].values()}
    assert compose_images == set(IMAGE_NAMES)
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


def _replicas(deployment: dict[str, Any]) -> int:
    """The replica count a Deployment runs with: its autoscaler's floor if one targets it."""
    for hpa in of_kind("HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        if (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"]):
            return int(hpa["spec"]["minReplicas"])
    return int(deployment["spec"]["replicas"])


@pytest.mark.parametrize("name", ["backend", "frontend"])
def test_two_replicas_spread_across_nodes(name: str) -> None:
    """2 replicas (the autoscaler's floor for the backend); preferred (not required)
    anti-affinity on kubernetes.io/hostname that selects the Deployment's own pods."""
    deployment = find("Deployment", name)
    assert _replicas(deployment) == 2
    affinity = pod_spec(deployment)["affinity"]["podAntiAffinity"]
    assert "requiredDuringSchedulingIgnoredDuringExecution" not in affinity
    (term,) = affinity["preferredDuringSchedulingIgnoredDuringExecution"]
    assert term["podAffinityTerm"]["topologyKey"] == "kubernetes.io/hostname"
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selects(term["podAffinityTerm"]["labelSelector"]["matchLabels"], labels)


@pytest.mark.parametrize(
    "hpa", of_kind("HorizontalPodAutoscaler"), ids=lambda h: h["metadata"]["name"]
)
def test_autoscaled_deployments_leave_the_replica_count_to_the_autoscaler(
    hpa: dict[str, Any],
) -> None:
    """A Deployment an HPA scales has no `replicas`: `kubectl apply` would send it on every
    apply and cut the autoscaled count back under load. The HPA scales a real Deployment."""
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["kind"], target["apiVersion"]) == ("Deployment", "apps/v1")
    deployment = find("Deployment", target["name"])
    assert "replicas" not in deployment["spec"]
    assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]


def _cpus(quantity: str) -> float:
    """A Kubernetes CPU quantity (500m, 2) in CPUs."""
    return int(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def test_nginx_runs_no_more_workers_than_its_cpu_limit_allows() -> None:
    """The image's nginx.conf fixes worker_processes (never `auto`, which counts the
    node's CPUs, not the pod's) at no more than the frontend's CPU limit rounded up."""
    conf = (FRONTEND_DIR / "nginx" / "image" / "nginx.conf").read_text(encoding="utf-8")
    (workers,) = re.findall(r"^\s*worker_processes\s+(\S+);", conf, re.M)
    assert workers.isdigit(), f"worker_processes {workers}"
    limit = _cpus(container(find("Deployment", "frontend"))["resources"]["limits"]["cpu"])
    assert 1 <= int(workers) <= max(1, math.ceil(limit))


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


# Pod networks of common clusters: the policies must hold on each without naming any.
POD_NETWORKS = {
    "kind, minikube, flannel": "10.244.0.0/16",
    "k3s, RKE2": "10.42.0.0/16",
    "Calico": "192.168.0.0/16",
    "Cilium": "10.0.0.0/8",
    "Docker Desktop": "10.1.0.0/16",
    "GKE": "10.4.0.0/14",
}
# Where a local cluster's NodePort clients come from (the kind network's gateway), and an
# address the debug door does not admit.
LOCAL_CLIENT = Endpoint("172.18.0.1")
FOREIGN_CLIENT = Endpoint("203.0.113.7")
METADATA = Endpoint("169.254.169.254")


def _pod_address(cidr: str, index: int) -> str:
    return str(ipaddress.ip_network(cidr)[index + 10])


@pytest.mark.parametrize("cidr", POD_NETWORKS.values(), ids=list(POD_NETWORKS))
def test_only_frontend_pods_reach_the_backend_on_any_pod_network(cidr: str) -> None:
    """Frontend pods reach the backend's port; an unlabelled pod in frontend-ns and a pod
    in another namespace do not, whatever addresses the pod network uses."""
    backend = pod_of(find("Deployment", "backend"), _pod_address(cidr, 0))
    frontend = pod_of(find("Deployment", "frontend"), _pod_address(cidr, 1))
    assert network_allows(frontend, backend, BACKEND_PORT)
    assert not network_allows(frontend, backend, BACKEND_PORT + 1)
    stranger = Endpoint(_pod_address(cidr, 2), NAMESPACE)
    elsewhere = Endpoint(_pod_address(cidr, 3), "default", frontend.labels)
    for pod in (stranger, elsewhere):
        assert not network_allows(pod, backend, BACKEND_PORT), pod


@pytest.mark.parametrize("cidr", POD_NETWORKS.values(), ids=list(POD_NETWORKS))
def test_egress_is_dns_and_backend_for_the_frontend_and_nothing_for_the_backend(
    cidr: str,
) -> None:
    """Default-deny egress: nginx may resolve names (port 53 anywhere) and open the
    backend's port; neither pod reaches the cloud metadata address, the API server or
    another pod."""
    backend = pod_of(find("Deployment", "backend"), _pod_address(cidr, 0))
    frontend = pod_of(find("Deployment", "frontend"), _pod_address(cidr, 1))
    dns = Endpoint(_pod_address(cidr, 4), "kube-system", (("k8s-app", "kube-dns"),))
    for protocol in ("UDP", "TCP"):
        assert network_allows(frontend, dns, 53, protocol)
        assert network_allows(frontend, Endpoint("169.254.20.10"), 53, protocol)
    api_server = Endpoint("10.96.0.1")
    for pod in (frontend, backend):
        assert not network_allows(pod, METADATA, 80)
        assert not network_allows(pod, api_server, 443)
    assert not network_allows(backend, dns, 53, "UDP")
    assert not network_allows(backend, frontend, FRONTEND_PORT)


def test_node_ports_admit_their_clients() -> None:
    """Anyone reaches the UI's port; the debug NodePort's policy admits local clusters'
    clients (whose address survives: externalTrafficPolicy Local) and no other address."""
    backend = pod_of(find("Deployment", "backend"), "10.244.1.10")
    frontend = pod_of(find("Deployment", "frontend"), "10.244.1.11")
    assert network_allows(FOREIGN_CLIENT, frontend, FRONTEND_PORT)
    assert network_allows(LOCAL_CLIENT, backend, BACKEND_PORT)
    assert not network_allows(FOREIGN_CLIENT, backend, BACKEND_PORT)
    assert find("Service", "backend-svc-nodeport")["spec"]["externalTrafficPolicy"] == "Local"


def test_no_ip_block_names_a_pod_network() -> None:
    """Policies choose pods by labels: no ipBlock (cidr or except) overlaps a common pod
    network, so no policy depends on the cluster's pod CIDR."""
    for policy in of_kind("NetworkPolicy"):
        for rule in [*policy["spec"].get("ingress", []), *policy["spec"].get("egress", [])]:
            for peer in [*rule.get("from", []), *rule.get("to", [])]:
                block = peer.get("ipBlock")
                if block is None:
                    continue
                for cidr in [block["cidr"], *block.get("except", [])]:
                    for name, pods in POD_NETWORKS.items():
                        overlap = ipaddress.ip_network(cidr).overlaps(ipaddress.ip_network(pods))
                        assert not overlap, f"{policy['metadata']['name']}: {cidr} vs {name}"


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
    assert cmd.exec_form() == GUNICORN_ARGV
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
    read_timeout = serve.nginx_defaults()["CALCULATOR_PROXY_READ_TIMEOUT"]
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
