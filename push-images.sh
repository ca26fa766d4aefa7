#!/usr/bin/env bash
# Push both images, with both tags (the version in VERSION and latest), to a registry.
# The PowerShell twin, push-images.ps1, takes the same options and pushes the same names.
set -euo pipefail

readonly SCRIPT="push-images.sh"
readonly IMAGES=(
  "k8s-calculator-backend"
  "k8s-calculator-frontend"
)

usage() {
  cat <<'USAGE'
Usage: ./push-images.sh --registry REGISTRY [--help]

Push the images that ./build-images.sh --registry REGISTRY built:
  REGISTRY/k8s-calculator-backend:VERSION   and :latest
  REGISTRY/k8s-calculator-frontend:VERSION  and :latest
VERSION is read from the VERSION file. Nothing is pushed unless all four exist.
Log in first (docker login REGISTRY) if the registry needs it.

Options:
  -r, --registry REGISTRY  where to push, e.g. localhost:5001 or
                           registry.example.com/team (default: the REGISTRY
                           environment variable; one of the two is required)
  -h, --help               show this help and exit

Environment:
  REGISTRY  same as --registry
  DOCKER    the container CLI to run (default: docker; podman works too)
USAGE
}

die() {
  echo "$SCRIPT: $1" >&2
  exit "${2:-1}"
}

registry="${REGISTRY:-}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help)
      usage
      exit 0
      ;;
    -r | --registry)
      [[ $# -ge 2 ]] || die "option $1 needs a value (try --help)" 2
      registry="$2"
      shift 2
      ;;
    --registry=*)
      registry="${1#*=}"
      shift
      ;;
    *)
      die "unknown argument: $1 (try --help)" 2
      ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
docker="${DOCKER:-docker}"

registry="${registry%/}"
[[ -n "$registry" ]] || die "no registry given: pass --registry REGISTRY or set REGISTRY (e.g. localhost:5001)" 2
if [[ ! "$registry" =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]+)?(/[a-z0-9][a-z0-9._-]*)*$ ]]; then
  die "invalid registry '$registry': expected HOST[:PORT][/PATH], e.g. localhost:5001" 2
fi

version="$(tr -d '[:space:]' <"$root/VERSION")"
if [[ ! "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  die "VERSION holds '$version', not a version like 1.2.3"
fi

command -v "$docker" >/dev/null 2>&1 || die "'$docker' not found: install Docker (or set DOCKER=podman)"

refs=()
for image in "${IMAGES[@]}"; do
  refs+=("$registry/$image:$version" "$registry/$image:latest")
done
# All or nothing: check every image before pushing any.
for ref in "${refs[@]}"; do
  "$docker" image inspect "$ref" >/dev/null 2>&1 \
    || die "image $ref not found: build it first with ./build-images.sh --registry $registry"
done
for ref in "${refs[@]}"; do
  echo "$SCRIPT: pushing $ref"
  "$docker" push "$ref"
done
echo "$SCRIPT: pushed ${#refs[@]} tags to $registry"
