#!/usr/bin/env bash
# Build both images, tagged with the version in VERSION and with latest.
# The PowerShell twin, build-images.ps1, takes the same options and builds the same names.
set -euo pipefail

readonly SCRIPT="build-images.sh"
# Image name and build context (a directory holding a Dockerfile), one pair per image.
readonly IMAGES=(
  "k8s-calculator-backend=backend"
  "k8s-calculator-frontend=frontend"
)

usage() {
  cat <<'USAGE'
Usage: ./build-images.sh [--registry REGISTRY] [--help]

Build the k8s-calculator images from this checkout:
  [REGISTRY/]k8s-calculator-backend:VERSION   and :latest   (from backend/)
  [REGISTRY/]k8s-calculator-frontend:VERSION  and :latest   (from frontend/)
VERSION is read from the VERSION file; the git commit and origin are recorded
as OCI labels (org.opencontainers.image.revision and .source).

Options:
  -r, --registry REGISTRY  prefix the names with REGISTRY/ (for push-images.sh),
                           e.g. localhost:5001 or registry.example.com/team
                           (default: the REGISTRY environment variable, else none)
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
if [[ -n "$registry" && ! "$registry" =~ ^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]+)?(/[a-z0-9][a-z0-9._-]*)*$ ]]; then
  die "invalid registry '$registry': expected HOST[:PORT][/PATH], e.g. localhost:5001" 2
fi
prefix="${registry:+$registry/}"

version="$(tr -d '[:space:]' <"$root/VERSION")"
if [[ ! "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  die "VERSION holds '$version', not a version like 1.2.3"
fi
revision="$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)"
# The origin URL without any user:password@ part.
source_url="$(git -C "$root" remote get-url origin 2>/dev/null || echo unknown)"
source_url="$(printf '%s' "$source_url" | sed -E 's#^([a-z]+://)[^@/]*@#\1#')"

command -v "$docker" >/dev/null 2>&1 || die "'$docker' not found: install Docker (or set DOCKER=podman)"

for entry in "${IMAGES[@]}"; do
  name="$prefix${entry%%=*}"
  context="$root/${entry#*=}"
  echo "$SCRIPT: building $name:$version and $name:latest from ${entry#*=}/"
  "$docker" build \
    --file "$context/Dockerfile" \
    --tag "$name:$version" \
    --tag "$name:latest" \
    --build-arg "VERSION=$version" \
    --build-arg "REVISION=$revision" \
    --build-arg "SOURCE=$source_url" \
    "$context"
done

echo "$SCRIPT: built"
for entry in "${IMAGES[@]}"; do
  echo "  $prefix${entry%%=*}:$version"
  echo "  $prefix${entry%%=*}:latest"
done
