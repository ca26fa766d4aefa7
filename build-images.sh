#!/usr/bin/env bash
# Build both images, tagged with the version in VERSION (or --tag) and with latest.
# The PowerShell twin, build-images.ps1, takes the same options and runs the same commands.
set -euo pipefail

readonly SCRIPT="build-images.sh"
# Image name and build context (a directory holding a Dockerfile), one pair per image.
readonly IMAGES=(
  "k8s-calculator-backend=backend"
  "k8s-calculator-frontend=frontend"
)
readonly REGISTRY_RE='^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]+)?(/[a-z0-9][a-z0-9._-]*)*$'
readonly TAG_RE='^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$'
readonly VERSION_RE='^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$'

usage() {
  cat <<'USAGE'
Usage: ./build-images.sh [--registry REGISTRY] [--tag TAG] [--platform PLATFORMS]
                         [--no-latest] [--help]

Build the k8s-calculator images from this checkout:
  [REGISTRY/]k8s-calculator-backend:TAG   and :latest   (from backend/)
  [REGISTRY/]k8s-calculator-frontend:TAG  and :latest   (from frontend/)
The VERSION file gives the default TAG and the version the images report; the git
commit and origin are recorded as OCI labels (revision, source).

Options:
  -r, --registry REGISTRY  prefix the names with REGISTRY/, e.g. localhost:5001 or
                           registry.example.com/team (default: $REGISTRY, else none)
  -t, --tag TAG            tag to build (default: the VERSION file), e.g. a commit id
  -p, --platform LIST      build with docker buildx for these platforms, e.g.
                           linux/amd64 or linux/amd64,linux/arm64. One platform is
                           loaded into the local image store; several are pushed to
                           REGISTRY directly (a multi-arch image cannot be loaded)
      --no-latest          do not add the latest tag (registries with immutable tags)
  -h, --help               show this help and exit

Environment:
  REGISTRY  same as --registry
  DOCKER    the container CLI to run (default: docker; podman works without --platform)
USAGE
}

die() {
  echo "$SCRIPT: $1" >&2
  exit "${2:-1}"
}

registry="${REGISTRY:-}"
tag=""
platform=""
latest=1

parse_args() {
  while [[ $# -gt 0 ]]; do
    case "$1" in
      -h | --help) usage; exit 0 ;;
      -r | --registry | -t | --tag | -p | --platform)
        [[ $# -ge 2 ]] || die "option $1 needs a value (try --help)" 2
        set_option "$1" "$2"
        shift 2
        ;;
      --registry=* | --tag=* | --platform=*) set_option "${1%%=*}" "${1#*=}"; shift ;;
      --no-latest) latest=0; shift ;;
      *) die "unknown argument: $1 (try --help)" 2 ;;
    esac
  done
}

set_option() {
  case "$1" in
    -r | --registry) registry="$2" ;;
    -t | --tag) tag="$2" ;;
    -p | --platform) platform="$2" ;;
  esac
}

validate() {
  registry="${registry%/}"
  if [[ -n "$registry" && ! "$registry" =~ $REGISTRY_RE ]]; then
    die "invalid registry '$registry': expected HOST[:PORT][/PATH], e.g. localhost:5001" 2
  fi
  [[ "$tag" =~ $TAG_RE ]] || die "invalid tag '$tag': letters, digits, _ . - (at most 128)" 2
  if [[ "$platform" == *,* && -z "$registry" ]]; then
    die "several platforms are pushed as they are built: give --registry too" 2
  fi
  command -v "$docker" >/dev/null 2>&1 \
    || die "'$docker' not found: install Docker (or set DOCKER=podman)"
}

# The docker command for one image; its arguments on stdout, one per line.
build_command() {
  local name="$1" context="$2"
  if [[ -n "$platform" ]]; then
    local output="--load"
    [[ "$platform" == *,* ]] && output="--push"
    printf '%s\n' buildx build --platform "$platform" "$output"
  else
    printf '%s\n' build
  fi
  printf '%s\n' --file "$context/Dockerfile" --tag "$name:$tag"
  [[ "$latest" == 1 ]] && printf '%s\n' --tag "$name:latest"
  printf '%s\n' --build-arg "VERSION=$version" --build-arg "REVISION=$revision" \
    --build-arg "SOURCE=$source_url" "$context"
}

main() {
  parse_args "$@"
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
  docker="${DOCKER:-docker}"
  version="$(tr -d '[:space:]' <"$root/VERSION")"
  [[ "$version" =~ $VERSION_RE ]] || die "VERSION holds '$version', not a version like 1.2.3"
  tag="${tag:-$version}"
  validate
  revision="$(git -C "$root" rev-parse --quiet --verify HEAD 2>/dev/null)" || revision=unknown
  # The origin URL without any user:password@ part.
  source_url="$(git -C "$root" remote get-url origin 2>/dev/null || echo unknown)"
  source_url="$(printf '%s' "$source_url" | sed -E 's#^([a-z]+://)[^@/]*@#\1#')"

  local prefix="${registry:+$registry/}" entry name built=()
  for entry in "${IMAGES[@]}"; do
    name="$prefix${entry%%=*}"
    echo "$SCRIPT: building $name:$tag from ${entry#*=}/"
    local command=() word  # a read loop, not mapfile: macOS ships bash 3.2
    while IFS= read -r word; do command+=("$word"); done < <(build_command "$name" "$root/${entry#*=}")
    "$docker" "${command[@]}"
    built+=("$name:$tag")
    [[ "$latest" == 1 ]] && built+=("$name:latest")
  done
  echo "$SCRIPT: built"
  printf '  %s\n' "${built[@]}"
}

main "$@"
