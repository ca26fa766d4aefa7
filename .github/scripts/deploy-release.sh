#!/usr/bin/env bash
# Deploy released images to the cluster of the current kubeconfig, wait for the rollouts,
# then run the HTTP smoke checks through a port-forward to the UI Service.
set -euo pipefail

readonly SCRIPT="deploy-release.sh"

usage() {
  cat <<'USAGE'
Usage: .github/scripts/deploy-release.sh --refs-dir DIR [--rollout-timeout DURATION] [--help]

Apply k8s/ with every image replaced by its released reference, in a scratch copy:
  kustomize edit set image NAME=REGISTRY/NAME:TAG@sha256:DIGEST
then `kubectl apply -k`, wait for each Deployment's rollout, check that the pods run
exactly those references, and run .github/scripts/smoke.py http through
`kubectl port-forward` to the UI Service (no node address needs to be reachable).

Options:
  --refs-dir DIR               one file per image: the file name is the image name as
                               k8s/ writes it, the content its full reference
  --rollout-timeout DURATION   per Deployment (default 300s)
  -h, --help                   show this help and exit

The namespace, Deployments and UI Service are read from k8s/ by
.github/scripts/manifest_facts.py. Needs kubectl, kustomize >= 5.2 (tag and digest
together) and python3 with PyYAML; KUBECONFIG must point at the target cluster.
USAGE
}

die() {
  echo "$SCRIPT: $1" >&2
  exit "${2:-1}"
}

refs_dir=""
timeout="300s"
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help)
      usage
      exit 0
      ;;
    --refs-dir)
      [[ $# -ge 2 ]] || die "option $1 needs a value (try --help)" 2
      refs_dir="$2"
      shift 2
      ;;
    --rollout-timeout)
      [[ $# -ge 2 ]] || die "option $1 needs a value (try --help)" 2
      timeout="$2"
      shift 2
      ;;
    *)
      die "unknown argument: $1 (try --help)" 2
      ;;
  esac
done
[[ -n "$refs_dir" && -d "$refs_dir" ]] || die "--refs-dir must name a directory (try --help)" 2

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
python="${PYTHON:-python3}"
for tool in kubectl kustomize "$python"; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found"
done

# The oldest Kubernetes minor the manifests run on has one home: `make deploy`'s script.
min_minor="$(sed -n 's/^readonly MIN_SERVER_MINOR=\([0-9][0-9]*\)$/\1/p' "$root/scripts/deploy.sh")"
[[ -n "$min_minor" ]] || die "cannot read MIN_SERVER_MINOR from scripts/deploy.sh"

fact() { "$python" "$root/.github/scripts/manifest_facts.py" "$1"; }
namespace="$(fact namespace)"
read -r -a deployments <<<"$(fact deployments)"
ui_service="$(fact ui-service)"
ui_port="$(fact ui-port)"

minor="$(kubectl version -o json | "$python" -c \
  'import json, re, sys; print(re.match(r"\d+", json.load(sys.stdin)["serverVersion"]["minor"]).group())')"
((minor >= min_minor)) || die "the cluster runs Kubernetes 1.$minor; 1.$min_minor or newer is needed"

work="$(mktemp -d)"
forward_pid=""
cleanup() {
  [[ -z "$forward_pid" ]] || kill "$forward_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
report() {
  echo "$SCRIPT: failed; the namespace's state:" >&2
  kubectl -n "$namespace" get deployments,replicasets,pods -o wide >&2 || true
  kubectl -n "$namespace" get events --sort-by=.lastTimestamp >&2 || true
}
trap report ERR

cp -R "$root/k8s" "$work/k8s"
expected=()
for file in "$refs_dir"/*; do
  [[ -f "$file" ]] || continue
  name="$(basename "$file")"
  ref="$(tr -d '[:space:]' <"$file")"
  [[ "$ref" =~ :[^/@]+@sha256:[0-9a-f]{64}$ ]] || die "$file holds '$ref', not REPO:TAG@sha256:DIGEST"
  (cd "$work/k8s" && kustomize edit set image "$name=$ref")
  expected+=("$ref")
done
((${#expected[@]} > 0)) || die "no image references in $refs_dir"

# The kustomize this job built (tag@digest needs kustomize 5.2+), not kubectl's own copy.
kustomize build "$work/k8s" | kubectl apply -f -
for deployment in "${deployments[@]}"; do
  kubectl -n "$namespace" rollout status "deployment/$deployment" --timeout="$timeout"
done

running="$(kubectl -n "$namespace" get deployments -o jsonpath='{.items[*].spec.template.spec.containers[*].image}')"
for ref in "${expected[@]}"; do
  [[ " $running " == *" $ref "* ]] || die "no Deployment runs $ref (running: $running)"
done

local_port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
kubectl -n "$namespace" port-forward "service/$ui_service" "$local_port:$ui_port" >"$work/port-forward.log" 2>&1 &
forward_pid=$!
"$python" "$root/.github/scripts/smoke.py" http "http://127.0.0.1:$local_port"
echo "$SCRIPT: deployed ${expected[*]} to namespace $namespace"
