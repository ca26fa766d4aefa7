#!/usr/bin/env bash
# Pin (or refresh) every Dockerfile's base image to its registry digest, keeping the tag:
#   ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm
# becomes
#   ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm@sha256:<digest of that tag now>
# Builds then pull exactly that image even after the tag moves; run again to take updates.
set -euo pipefail

readonly SCRIPT="pin-base-images.sh"
readonly DOCKERFILES=(backend/Dockerfile frontend/Dockerfile)
# The base-image argument: ARG NAME_IMAGE=reference (a digest may already follow).
readonly ARG_RE='^ARG ([A-Z_]+_IMAGE)=([^@[:space:]]+)(@sha256:[0-9a-f]{64})?[[:space:]]*$'

usage() {
  cat <<'USAGE'
Usage: scripts/pin-base-images.sh [--check] [--help]

Look up the current digest of each Dockerfile's base-image tag and write it into the
ARG default as TAG@sha256:DIGEST (backend/Dockerfile, frontend/Dockerfile). Needs
registry access through `docker buildx imagetools inspect`, or `crane digest` when
CRANE is set (e.g. CRANE=crane).

Options:
  --check    change nothing; exit 1 if a base image is not pinned by digest
  -h, --help show this help and exit

Environment:
  DOCKER  the docker CLI (default: docker)
  CRANE   use this crane binary instead of docker buildx imagetools
USAGE
}

die() {
  echo "$SCRIPT: $1" >&2
  exit "${2:-1}"
}

# The manifest-list (index) digest of a reference, sha256:... on stdout.
digest_of() {
  local ref="$1" digest
  if [[ -n "${CRANE:-}" ]]; then
    digest="$("$CRANE" digest "$ref")"
  else
    digest="$("${DOCKER:-docker}" buildx imagetools inspect "$ref" | awk '$1 == "Digest:" { print $2; exit }')"
  fi
  [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || die "no digest for $ref (got '$digest')"
  printf '%s\n' "$digest"
}

# Rewrite one Dockerfile's base-image ARG lines; with --check, only report.
pin_file() {
  local file="$1" check="$2" out="$3" line name ref digest unpinned=0
  while IFS= read -r line || [[ -n "$line" ]]; do
    if [[ "$line" =~ $ARG_RE ]]; then
      name="${BASH_REMATCH[1]}" ref="${BASH_REMATCH[2]}"
      if [[ "$check" == 1 ]]; then
        [[ -n "${BASH_REMATCH[3]}" ]] || { echo "$file: $name=$ref has no digest" >&2; unpinned=1; }
      else
        digest="$(digest_of "$ref")" || return 1
        line="ARG $name=$ref@$digest"
        echo "$SCRIPT: $file: $name=$ref@$digest" >&2
      fi
    fi
    printf '%s\n' "$line"
  done <"$file" >"$out"
  [[ "$check" == 1 ]] && return "$unpinned"
  cat "$out" >"$file"
}

main() {
  local check=0 root file failed=0
  case "${1:-}" in
    "") ;;
    --check) check=1 ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument: $1 (try --help)" 2 ;;
  esac
  [[ $# -le 1 ]] || die "too many arguments (try --help)" 2
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  tmp="$(mktemp)"
  trap 'rm -f "$tmp"' EXIT
  for file in "${DOCKERFILES[@]}"; do
    if [[ "$check" == 1 ]]; then
      pin_file "$root/$file" 1 "$tmp" || failed=1
    else
      pin_file "$root/$file" 0 "$tmp" || exit 1
    fi
  done
  [[ "$failed" == 0 ]] || die "base images not pinned by digest: run scripts/pin-base-images.sh"
}

main "$@"
