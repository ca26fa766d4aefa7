#!/usr/bin/env bash
# End-to-end test on a real cluster: a kind cluster (control plane + 2 workers, kindnet
# enforcing NetworkPolicy, NodePorts on 127.0.0.1), both images built and loaded, k8s/
# applied, then every promise of docs/deploy.md checked. `make e2e` runs it; it needs
# Docker, kind >= 0.24, kubectl and curl, and deletes its cluster at the end.
set -euo pipefail

readonly SCRIPT="e2e-kind.sh"
readonly NAMESPACE="frontend-ns"
readonly OUTSIDE_NAMESPACE="e2e-outside"
readonly UI_PORT=30001
readonly DEBUG_PORT=30002
readonly MIN_KIND="0.24.0"

name="calculator-e2e"
requests=2000
keep=0
build=1
artifacts="${ARTIFACTS:-artifacts/e2e}"

usage() {
  cat <<'USAGE'
Usage: scripts/e2e-kind.sh [--name NAME] [--requests N] [--keep] [--no-build]
                           [--print-config] [--help]

Create a kind cluster (control plane + 2 workers; kind >= 0.24, whose kindnet enforces
NetworkPolicy; NodePorts 30001 and 30002 on 127.0.0.1), build both images with
./build-images.sh and load them, apply k8s/ with scripts/deploy.sh, then check:
  - both rollouts Ready, 0 restarts, no Pod Security warning from the apply;
  - the UI answers 200 with a Content-Security-Policy on 127.0.0.1:30001;
  - API calls through the UI are answered by every backend pod (X-Served-By);
  - 30002 answers on every node that runs a backend pod (externalTrafficPolicy Local);
  - a pod in another namespace and an unlabelled pod in frontend-ns cannot reach the
    backend, a pod labelled as the frontend can;
  - N requests (default 2000) through 30001 during `kubectl rollout restart` of both
    Deployments and one backend pod deletion: 0 failures;
  - re-applying k8s/ leaves the backend's replica count (the autoscaler's) alone.
On failure, events, pod descriptions, logs and `kind export logs` go to $ARTIFACTS
(default artifacts/e2e). The cluster is deleted at the end unless --keep.

Options:
  --name NAME      kind cluster name (default: calculator-e2e)
  --requests N     requests in the rolling-restart loop (default: 2000)
  --keep           keep the cluster afterwards (delete: kind delete cluster --name NAME)
  --no-build       use the images already built (k8s-calculator-*:VERSION)
  --print-config   print the kind cluster configuration and exit
  -h, --help       show this help and exit

Environment:
  KIND_NODE_IMAGE  node image for kind (e.g. kindest/node:v1.33.1@sha256:...);
                   default: kind's own
  ARTIFACTS        where diagnostics go on failure
USAGE
}

die() {
  echo "$SCRIPT: $1" >&2
  exit "${2:-1}"
}

log() {
  echo "$SCRIPT: $*"
}

kube() {
  kubectl --context "kind-$name" "$@"
}

parse_args() {
  while [[ $# -gt 0 ]]; do
    case "$1" in
      -h | --help) usage; exit 0 ;;
      --print-config) print_config=1; shift ;;
      --keep) keep=1; shift ;;
      --no-build) build=0; shift ;;
      --name | --requests)
        [[ $# -ge 2 ]] || die "option $1 needs a value (try --help)" 2
        if [[ "$1" == --name ]]; then name="$2"; else requests="$2"; fi
        shift 2
        ;;
      *) die "unknown argument: $1 (try --help)" 2 ;;
    esac
  done
  [[ "$name" =~ ^[a-z0-9][a-z0-9-]{0,40}$ ]] || die "invalid cluster name '$name'" 2
  [[ "$requests" =~ ^[1-9][0-9]{0,5}$ ]] || die "--requests needs a positive number" 2
}

# The kind cluster: NodePorts published on loopback only (never on every interface of
# the machine); 30001 from the control plane (the UI's Service answers on every node),
# 30002 from the first worker (externalTrafficPolicy Local: only nodes with a backend pod).
kind_config() {
  cat <<YAML
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
    extraPortMappings:
      - {containerPort: $UI_PORT, hostPort: $UI_PORT, listenAddress: "127.0.0.1"}
  - role: worker
    extraPortMappings:
      - {containerPort: $DEBUG_PORT, hostPort: $DEBUG_PORT, listenAddress: "127.0.0.1"}
  - role: worker
YAML
}

version_at_least() {
  [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" == "$2" ]]
}

require_tools() {
  local tool found
  for tool in docker kind kubectl curl; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found: the end-to-end test needs it"
  done
  found="$(kind version | sed -n 's/^kind v\([0-9][0-9.]*\).*/\1/p')"
  version_at_least "${found:-0}" "$MIN_KIND" \
    || die "kind ${found:-?} is too old: $MIN_KIND or newer enforces NetworkPolicy"
}

create_cluster() {
  local config image_args=()
  config="$(mktemp)"
  kind_config >"$config"
  [[ -n "${KIND_NODE_IMAGE:-}" ]] && image_args=(--image "$KIND_NODE_IMAGE")
  log "creating kind cluster $name"
  # ${a[@]+...}: an empty array is "unbound" under set -u in bash before 4.4 (macOS has 3.2).
  kind create cluster --name "$name" --config "$config" ${image_args[@]+"${image_args[@]}"} --wait 180s
  rm -f "$config"
  cluster_created=1
}

build_and_load() {
  if [[ "$build" == 1 ]]; then
    "$root/build-images.sh" --no-latest
  fi
  kind load docker-image --name "$name" \
    "k8s-calculator-backend:$version" "k8s-calculator-frontend:$version"
}

deploy() {
  local warnings="$artifacts/apply.log"
  "$root/scripts/deploy.sh" --context "kind-$name" 2>&1 | tee "$warnings"
  if grep -qi "PodSecurity\|would violate" "$warnings"; then
    die "the apply printed a Pod Security warning (see $warnings)"
  fi
}

check_ready_without_restarts() {
  local restarts
  # The backend Deployment has no replicas of its own: the autoscaler raises it to 2.
  kube -n "$NAMESPACE" wait --for=jsonpath='{.status.readyReplicas}'=2 deployment/backend \
    --timeout=180s
  kube -n "$NAMESPACE" wait --for=condition=Ready pod --all --timeout=120s
  restarts="$(kube -n "$NAMESPACE" get pods \
    -o jsonpath='{range .items[*]}{.status.containerStatuses[*].restartCount}{"\n"}{end}' \
    | sort -u | tr '\n' ' ')"
  [[ "$restarts" == "0 " ]] || die "containers restarted (restart counts: $restarts)"
  log "rollouts ready, 0 restarts"
}

check_ui() {
  local headers
  headers="$(curl -fsS -o /dev/null -D - "http://127.0.0.1:$UI_PORT/")" \
    || die "the UI does not answer 200 on 127.0.0.1:$UI_PORT"
  grep -qi '^content-security-policy:' <<<"$headers" || die "the UI answers without a CSP"
  log "UI 200 with a Content-Security-Policy"
}

backend_pods() {
  kube -n "$NAMESPACE" get pods -l app.kubernetes.io/name=k8s-calculator-backend \
    --field-selector=status.phase=Running -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' \
    | sort
}

check_every_backend_pod_serves() {
  local expected seen="" attempt
  expected="$(backend_pods | tr '\n' ' ')"
  for attempt in $(seq 1 60); do
    seen="$(printf '%s\n%s\n' "$seen" "$(curl -fsS -o /dev/null -D - \
      "http://127.0.0.1:$UI_PORT/api/v1/info" | tr -d '\r' \
      | sed -n 's/^[Xx]-[Ss]erved-[Bb]y: *//p')" | sed '/^$/d' | sort -u)"
    [[ "$(tr '\n' ' ' <<<"$seen")" == "$expected" ]] && break
    sleep 0.1 # under nginx's per-client rate limit
  done
  [[ "$(tr '\n' ' ' <<<"$seen")" == "$expected" ]] \
    || die "through the UI, answers came from [$seen], not from every backend pod [$expected] ($attempt tries)"
  log "API through the UI answered by every backend pod: $expected"
}

check_debug_port_on_every_backend_node() {
  local node address nodes
  nodes="$(kube -n "$NAMESPACE" get pods -l app.kubernetes.io/name=k8s-calculator-backend \
    -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | sort -u)"
  for node in $nodes; do
    address="$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$node")"
    curl -fsS --max-time 5 -o /dev/null "http://$address:$DEBUG_PORT/healthz" \
      || die "$DEBUG_PORT does not answer on node $node ($address), which runs a backend pod"
    log "$DEBUG_PORT answers on $node"
    # 127.0.0.1:30002 is published from the first worker (see kind_config).
    if [[ "$node" == "$name-worker" ]]; then
      curl -fsS --max-time 5 -o /dev/null "http://127.0.0.1:$DEBUG_PORT/healthz" \
        || die "$DEBUG_PORT does not answer on 127.0.0.1"
    fi
  done
}

# Run a one-shot pod that fetches the backend's /healthz by its Service address; exit
# status 0 when the fetch succeeded. The frontend image has busybox wget and meets the
# restricted Pod Security profile with this securityContext.
probe_backend() {
  local namespace="$1" pod="$2" labels="$3" address overrides
  address="$(kube -n "$NAMESPACE" get service backend-svc -o jsonpath='{.spec.clusterIP}')"
  overrides='{"spec":{"securityContext":{"runAsNonRoot":true,"runAsUser":101,"runAsGroup":101,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"'"$pod"'","image":"k8s-calculator-frontend:'"$version"'","command":["wget","-q","-T","5","-O","/dev/null","http://'"$address"':5000/healthz"],"securityContext":{"allowPrivilegeEscalation":false,"readOnlyRootFilesystem":true,"capabilities":{"drop":["ALL"]}}}]}}'
  kube -n "$namespace" run "$pod" --restart=Never --image="k8s-calculator-frontend:$version" \
    --labels="$labels" --overrides="$overrides" >/dev/null
  local reached=1
  if kube -n "$namespace" wait --for=jsonpath='{.status.phase}'=Succeeded "pod/$pod" \
    --timeout=30s >/dev/null 2>&1; then
    reached=0
  fi
  kube -n "$namespace" delete pod "$pod" --wait=false >/dev/null
  return "$reached"
}

check_network_policy() {
  kube create namespace "$OUTSIDE_NAMESPACE" --dry-run=client -o yaml | kube apply -f - >/dev/null
  if probe_backend "$OUTSIDE_NAMESPACE" probe-outside "app.kubernetes.io/name=k8s-calculator-frontend"; then
    die "a pod in namespace $OUTSIDE_NAMESPACE reached the backend"
  fi
  if probe_backend "$NAMESPACE" probe-unlabelled "e2e=unlabelled"; then
    die "an unlabelled pod in $NAMESPACE reached the backend"
  fi
  probe_backend "$NAMESPACE" probe-frontend "app.kubernetes.io/name=k8s-calculator-frontend" \
    || die "a pod labelled as the frontend could not reach the backend"
  log "network policy: only frontend pods reach the backend"
}

# $requests sequential requests through the UI's NodePort, paced under nginx's per-client
# rate limit (20/s); one HTTP status per line into $1.
request_loop() {
  local out="$1" i
  for ((i = 0; i < requests; i++)); do
    curl -sS -o /dev/null --max-time 10 -w '%{http_code}\n' \
      "http://127.0.0.1:$UI_PORT/api/v1/add?a=$i&b=1" >>"$out" 2>/dev/null || true  # 000 already
    sleep 0.06
  done
}

check_rolling_restart_without_failures() {
  local codes="$artifacts/rolling-restart-codes.txt" loop failures
  : >"$codes"
  request_loop "$codes" &
  loop=$!
  sleep 3
  kube -n "$NAMESPACE" rollout restart deployment/backend deployment/frontend
  kube -n "$NAMESPACE" rollout status deployment/backend --timeout=300s
  kube -n "$NAMESPACE" rollout status deployment/frontend --timeout=300s
  kube -n "$NAMESPACE" delete pod "$(backend_pods | head -n 1)"
  kube -n "$NAMESPACE" rollout status deployment/backend --timeout=300s
  wait "$loop"
  failures="$(grep -cv '^200$' "$codes" || true)"
  [[ "$(wc -l <"$codes")" -eq "$requests" ]] || die "the request loop did not finish"
  [[ "$failures" == 0 ]] || die "$failures of $requests requests failed during the restarts (see $codes)"
  log "$requests requests during rollout restarts and a pod deletion: 0 failures"
}

check_reapply_keeps_replicas() {
  local replicas
  kube -n "$NAMESPACE" scale deployment/backend --replicas=3
  kube apply -k "$root/k8s" >/dev/null
  replicas="$(kube -n "$NAMESPACE" get deployment/backend -o jsonpath='{.spec.replicas}')"
  [[ "$replicas" == 3 ]] || die "re-applying k8s/ changed the backend's replicas from 3 to $replicas"
  log "re-apply kept the backend's replica count (3)"
}

collect_diagnostics() {
  mkdir -p "$artifacts"
  log "collecting diagnostics into $artifacts"
  kube get events -A --sort-by=.lastTimestamp >"$artifacts/events.txt" 2>&1 || true
  kube -n "$NAMESPACE" describe pods >"$artifacts/pods.txt" 2>&1 || true
  kube -n "$NAMESPACE" logs -l app.kubernetes.io/part-of=k8s-calculator --all-containers \
    --prefix --tail=-1 >"$artifacts/logs.txt" 2>&1 || true
  kind export logs "$artifacts/kind" --name "$name" >/dev/null 2>&1 || true
}

finish() {
  local status=$?
  if [[ "$status" != 0 && "${cluster_created:-0}" == 1 ]]; then
    collect_diagnostics
  fi
  if [[ "${cluster_created:-0}" == 1 && "$keep" == 0 ]]; then
    kind delete cluster --name "$name" >/dev/null 2>&1 || true
  fi
  exit "$status"
}

main() {
  print_config=0
  parse_args "$@"
  if [[ "$print_config" == 1 ]]; then
    kind_config
    exit 0
  fi
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  version="$(tr -d '[:space:]' <"$root/VERSION")"
  mkdir -p "$artifacts"
  require_tools
  trap finish EXIT
  create_cluster
  build_and_load
  deploy
  check_ready_without_restarts
  check_ui
  check_every_backend_pod_serves
  check_debug_port_on_every_backend_node
  check_network_policy
  check_rolling_restart_without_failures
  check_reapply_keeps_replicas
  log "all checks passed"
}

main "$@"
