#!/usr/bin/env bash
# Apply k8s/ to the current cluster after checking that it can run the manifests:
# Kubernetes >= 1.30 (the preStop `sleep` action) and kubectl >= 1.27 (kustomize's
# sortOptions, which keeps the NetworkPolicies ahead of the pods). Then wait for both
# rollouts. `make deploy` runs it.
set -euo pipefail

readonly SCRIPT="deploy.sh"
readonly MIN_SERVER_MINOR=30
readonly MIN_CLIENT_MINOR=27

usage() {
  cat <<'USAGE'
Usage: scripts/deploy.sh [--context CONTEXT] [--help]

Check the cluster's Kubernetes version (>= 1.30) and kubectl's (>= 1.27), then
`kubectl apply -k k8s/` and wait until the backend and frontend rollouts are done.

Options:
  --context CONTEXT  kubeconfig context to use (default: the current one)
  -h, --help         show this help and exit

Environment:
  KUBECTL  the kubectl binary (default: kubectl)
USAGE
}

die() {
  echo "$SCRIPT: $1" >&2
  exit "${2:-1}"
}

context_args=()

kube() {
  # ${a[@]+...}: an empty array is "unbound" under set -u in bash before 4.4 (macOS has 3.2).
  "${KUBECTL:-kubectl}" ${context_args[@]+"${context_args[@]}"} "$@"
}

# "MAJOR MINOR" of a version JSON document ({"major":"1","minor":"30+",...}) on stdin.
major_minor() {
  tr -d ' \n' | sed -n 's/.*"major":"\([0-9]*\)[^"]*","minor":"\([0-9]*\)[^"]*".*/\1 \2/p'
}

check_versions() {
  local server client major minor
  server="$(kube get --raw /version)" || die "cannot reach the cluster (kubectl get --raw /version failed)"
  read -r major minor < <(major_minor <<<"$server") || true
  [[ -n "${minor:-}" ]] || die "cannot read the cluster's version from: $server"
  if ((major < 1 || (major == 1 && minor < MIN_SERVER_MINOR))); then
    die "the cluster runs Kubernetes $major.$minor; the manifests need 1.$MIN_SERVER_MINOR or newer (the preStop sleep action). Upgrade the cluster, or use a newer kind/minikube node image."
  fi
  client="$(kube version --client -o json)" || die "kubectl version --client failed"
  read -r major minor < <(major_minor <<<"${client#*clientVersion}") || true
  [[ -n "${minor:-}" ]] || die "cannot read kubectl's version"
  if ((major == 1 && minor < MIN_CLIENT_MINOR)); then
    die "kubectl is 1.$minor; apply -k needs 1.$MIN_CLIENT_MINOR or newer (kustomize sortOptions). Upgrade kubectl."
  fi
  echo "$SCRIPT: cluster and kubectl versions are fine"
}

main() {
  while [[ $# -gt 0 ]]; do
    case "$1" in
      -h | --help) usage; exit 0 ;;
      --context)
        [[ $# -ge 2 ]] || die "option $1 needs a value (try --help)" 2
        context_args=(--context "$2")
        shift 2
        ;;
      *) die "unknown argument: $1 (try --help)" 2 ;;
    esac
  done
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  check_versions
  kube apply -k "$root/k8s"
  # One Deployment per call: older kubectl refuses several in one rollout status.
  local deployment
  for deployment in backend frontend; do
    kube -n frontend-ns rollout status "deployment/$deployment" --timeout=300s
  done
}

main "$@"
