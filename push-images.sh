#!/usr/bin/env bash
# Push both images, tagged with the version in VERSION (or --tag) and latest, to a registry.
# The PowerShell twin, push-images.ps1, takes the same options and runs the same commands.
set -euo pipefail

readonly SCRIPT="push-images.sh"
readonly IMAGES=(
  "k8s-calculator-backend"
  "k8s-calculator-frontend"
)
readonly REGISTRY_RE='^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]+)?(/[a-z0-9][a-z0-9._-]*)*$'
readonly TAG_RE='^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$'
readonly VERSION_RE='^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$'

usage() {
  cat <<'USAGE'
Usage: ./push-images.sh --registry REGISTRY [--tag TAG] [--no-latest] [--help]

Push the images that ./build-images.sh --registry REGISTRY built:
  REGISTRY/k8s-calculator-backend:TAG   and :latest
  REGISTRY/k8s-calculator-frontend:TAG  and :latest
Nothing is pushed unless every one of them exists locally. Log in first
(docker login REGISTRY) if the registry needs it. Images built with several
--platform values were pushed by build-images.sh already.

Options:
  -r, --registry REGISTRY  where to push, e.g. localhost:5001 or
                           registry.example.com/team (default: $REGISTRY;
                           one of the two is required)
  -t, --tag TAG            tag to push (default: the VERSION file)
      --no-latest          do not push the latest tag (registries with immutable tags)
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
tag=""
latest=1

parse_args() {
  while [[ $# -gt 0 ]]; do
    case "$1" in
      -h | --help) usage; exit 0 ;;
      -r | --registry | -t | --tag)
        [[ $# -ge 2 ]] || die "option $1 needs a value (try --help)" 2
        set_option "$1" "$2"
        shift 2
        ;;
      --registry=* | --tag=*) set_option "${1%%=*}" "${1#*=}"; shift ;;
      --no-latest) latest=0; shift ;;
      *) die "unknown argument: $1 (try --help)" 2 ;;
    esac
  done
}

set_option() {
  case "$1" in
    -r | --registry) registry="$2" ;;
    -t | --tag) tag="$2" ;;
  esac
}

validate() {
  registry="${registry%/}"
  [[ -n "$registry" ]] \
    || die "no registry given: pass --registry REGISTRY or set REGISTRY (e.g. localhost:5001)" 2
  if [[ ! "$registry" =~ $REGISTRY_RE ]]; then
    die "invalid registry '$registry': expected HOST[:PORT][/PATH], e.g. localhost:5001" 2
  fi
  [[ "$tag" =~ $TAG_RE ]] || die "invalid tag '$tag': letters, digits, _ . - (at most 128)" 2
  command -v "$docker" >/dev/null 2>&1 \
    || die "'$docker' not found: install Docker (or set DOCKER=podman)"
}

main() {
  parse_args "$@"
  local root version image ref refs=()
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  docker="${DOCKER:-docker}"
  version="$(tr -d '[:space:]' <"$root/VERSION")"
  [[ "$version" =~ $VERSION_RE ]] || die "VERSION holds '$version', not a version like 1.2.3"
  tag="${tag:-$version}"
  validate

  for image in "${IMAGES[@]}"; do
    refs+=("$registry/$image:$tag")
    [[ "$latest" == 1 ]] && refs+=("$registry/$image:latest")
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
}

main "$@"
