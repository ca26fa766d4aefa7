"""The names and ports the workflows need, read from k8s/ and the Dockerfiles.

The workflows call this instead of spelling the names themselves, so renaming an image, the
namespace or a Service in the manifests changes the pipeline too. Prints `key=value` lines in
the format of $GITHUB_OUTPUT:

  version      the VERSION file's version (images are tagged with it)
  images       JSON list of {"name": image name, "context": directory of its Dockerfile}
  namespace    the namespace every object lives in
  deployments  the Deployments, space-separated (rollout checks wait for each)
  ui-service   the NodePort Service of the frontend component
  ui-port      that Service's port (what `kubectl port-forward` connects to)
  ui-nodeport  that Service's nodePort (what a kind cluster maps to 127.0.0.1)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TITLE_LABEL = re.compile(r'org\.opencontainers\.image\.title="?([^"\s]+)"?')
UI_COMPONENT = "frontend"

Manifest = dict[str, Any]


def manifests(root: Path) -> list[Manifest]:
    """Every object in k8s/*.yaml, the files `kubectl apply -f k8s/` reads."""
    docs: list[Manifest] = []
    for path in sorted((root / "k8s").glob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            docs.extend(doc for doc in yaml.safe_load_all(handle) if doc)
    return docs


def image_name(reference: str) -> str:
    """An image reference without its tag or digest."""
    name = reference.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return name[: len(name) - len(last)] + last.split(":", 1)[0]


def build_contexts(root: Path) -> dict[str, str]:
    """Image name -> directory whose Dockerfile builds it (its OCI title label)."""
    contexts: dict[str, str] = {}
    for dockerfile in sorted(root.glob("*/Dockerfile")):
        match = TITLE_LABEL.search(dockerfile.read_text(encoding="utf-8"))
        if match:
            contexts[match.group(1)] = dockerfile.parent.name
    return contexts


def facts(root: Path = ROOT) -> dict[str, str]:
    """The values described in the module docstring, as strings ready for $GITHUB_OUTPUT."""
    docs = manifests(root)
    namespaces = {doc["metadata"]["name"] for doc in docs if doc["kind"] == "Namespace"}
    if len(namespaces) != 1:
        raise SystemExit(f"expected one Namespace in k8s/, found {sorted(namespaces)}")
    deployments = [doc for doc in docs if doc["kind"] == "Deployment"]
    contexts = build_contexts(root)
    images = []
    for deployment in deployments:
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            name = image_name(container["image"])
            if name not in contexts:
                raise SystemExit(f"no */Dockerfile is titled {name!r} (the image it runs)")
            images.append({"name": name, "context": contexts[name]})
    ui = [
        doc
        for doc in docs
        if doc["kind"] == "Service"
        and doc["spec"].get("type") == "NodePort"
        and doc["metadata"].get("labels", {}).get("app.kubernetes.io/component") == UI_COMPONENT
    ]
    if len(ui) != 1:
        raise SystemExit(f"expected one NodePort Service of component {UI_COMPONENT!r}")
    (port,) = ui[0]["spec"]["ports"]
    return {
        "version": (root / "VERSION").read_text(encoding="utf-8").strip(),
        "images": json.dumps(images, separators=(",", ":")),
        "namespace": namespaces.pop(),
        "deployments": " ".join(doc["metadata"]["name"] for doc in deployments),
        "ui-service": ui[0]["metadata"]["name"],
        "ui-port": str(port["port"]),
        "ui-nodeport": str(port["nodePort"]),
    }


def main(argv: list[str] | None = None) -> int:
    """Print every fact, or the one asked for (its bare value)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("key", nargs="?", help="print only this fact's value")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    args = parser.parse_args(argv)
    values = facts(args.root)
    if args.key is not None:
        if args.key not in values:
            parser.error(f"unknown fact {args.key!r}; known: {', '.join(values)}")
        print(values[args.key])
        return 0
    for key, value in values.items():
        print(f"{key}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
