"""The two Dockerfiles and their build contexts, checked without a Docker daemon.

hadolint and checkov lint them; the rest reads them as Docker would: what each COPY
finds in the build context after .dockerignore, which user runs, which base is pinned.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from deploy_support import (
    DOCKERFILES,
    arg_defaults,
    checkov,
    context_files,
    copies,
    dockerfile,
    env_values,
    failed_checks_text,
    in_build_context,
    instructions,
)

from servers import BACKEND_DIR, FRONTEND_DIR, ROOT, VENV_BIN, require_executable

COMPONENTS = sorted(DOCKERFILES)
# The base image argument of each Dockerfile and the exact-version pattern its default
# must match: python:X.Y.Z-slim-<debian>, nginxinc/nginx-unprivileged:X.Y.Z-alpineA.B.
BASE_IMAGES = {
    "backend": ("PYTHON_IMAGE", r"python:3\.\d+\.\d+-slim-[a-z]+"),
    "frontend": ("NGINX_IMAGE", r"nginxinc/nginx-unprivileged:\d+\.\d+\.\d+-alpine\d+\.\d+"),
}


def test_hadolint_reports_nothing() -> None:
    """hadolint: no error, warning, info or style finding on either Dockerfile."""
    hadolint = require_executable("hadolint", str(VENV_BIN / "hadolint"))
    result = subprocess.run(
        [hadolint, "--failure-threshold", "style", *map(str, DOCKERFILES.values())],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_policy_scan_of_dockerfiles_has_no_failed_check() -> None:
    """checkov's Dockerfile checks: 0 failed; each skip is an inline comment with a reason."""
    args = [arg for path in DOCKERFILES.values() for arg in ("--file", str(path.relative_to(ROOT)))]
    report = checkov(*args, framework="dockerfile")
    summary = report["summary"]
    assert summary["parsing_errors"] == 0
    assert summary["resource_count"] == len(DOCKERFILES)
    assert summary["failed"] == 0, failed_checks_text(report)
    assert summary["passed"] > 50
    for skipped in report["results"]["skipped_checks"]:
        path = ROOT / skipped["file_path"].lstrip("/")
        skip = re.search(
            rf"checkov:skip={skipped['check_id']}:(.+)", path.read_text(encoding="utf-8")
        )
        assert skip is not None
        assert len(skip.group(1).split()) >= 8, f"{skipped['check_id']} needs a reason"


@pytest.mark.parametrize("component", COMPONENTS)
def test_base_image_is_an_argument_pinned_to_an_exact_release(component: str) -> None:
    """Every FROM names the base-image ARG (or an earlier stage); its default is an
    exact upstream version, never a floating tag."""
    path = DOCKERFILES[component]
    name, pattern = BASE_IMAGES[component]
    assert re.fullmatch(pattern, arg_defaults(path)[name])
    stages: set[str] = set()
    for item in instructions(path, "FROM"):
        words = item.args.split()
        assert words[0] in ({f"${{{name}}}"} | stages), item.args
        if len(words) == 3 and words[1].upper() == "AS":
            stages.add(words[2])
    first_from = dockerfile(path).index(instructions(path, "FROM")[0])
    assert any(
        item.keyword == "ARG" and item.args.startswith(f"{name}=")
        for item in dockerfile(path)[:first_from]
    ), "the base-image ARG must be declared before the first FROM"


def test_backend_is_multi_stage_with_only_the_runtime_copied_on() -> None:
    """A build stage installs the requirements; the final stage copies the virtual
    environment from it and installs nothing with pip itself."""
    path = DOCKERFILES["backend"]
    stages = [item.args.split() for item in instructions(path, "FROM")]
    assert len(stages) == 2
    assert stages[0][1:] == ["AS", "build"]
    final_stage_start = dockerfile(path).index(instructions(path, "FROM")[1])
    final = dockerfile(path)[final_stage_start:]
    assert not any("pip install" in item.args for item in final if item.keyword == "RUN")
    assert any(copy_.flags.get("from") == "build" for copy_ in copies(path))
    build_stage = dockerfile(path)[:final_stage_start]
    assert any(
        "pip install" in item.args and "-r" in item.args
        for item in build_stage
        if item.keyword == "RUN"
    )


def test_backend_runtime_environment() -> None:
    """Unbuffered logs, no bytecode writes on the read-only root, the venv first on PATH."""
    env = env_values(DOCKERFILES["backend"])
    assert env["PYTHONUNBUFFERED"] == "1"
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["PATH"].startswith("/opt/venv/bin:")
    assert env["CALCULATOR_GIT_COMMIT"] == "${REVISION}"


@pytest.mark.parametrize("component", COMPONENTS)
def test_oci_labels_come_from_build_args(component: str) -> None:
    """version, revision and source labels are filled from the build args the build
    script passes (VERSION, REVISION, SOURCE)."""
    text = DOCKERFILES[component].read_text(encoding="utf-8")
    for label, arg in (("version", "VERSION"), ("revision", "REVISION"), ("source", "SOURCE")):
        assert f'org.opencontainers.image.{label}="${{{arg}}}"' in text
        assert arg in arg_defaults(DOCKERFILES[component])


@pytest.mark.parametrize("component", COMPONENTS)
def test_healthcheck_needs_no_curl(component: str) -> None:
    """An exec-form HEALTHCHECK on /healthz using a tool the base image already has."""
    (healthcheck,) = instructions(DOCKERFILES[component], "HEALTHCHECK")
    command = healthcheck.exec_form()
    assert command is not None
    assert command[0] in {"backend": {"python3"}, "frontend": {"wget"}}[component]
    assert "/healthz" in " ".join(command)
    assert "curl" not in healthcheck.args


@pytest.mark.parametrize("component", COMPONENTS)
def test_runs_as_a_numeric_non_root_user(component: str) -> None:
    """The last USER is numeric uid:gid and not root, and nothing runs after it as root."""
    users = instructions(DOCKERFILES[component], "USER")
    uid, _, gid = users[-1].args.partition(":")
    assert uid.isdigit()
    assert gid.isdigit()
    assert int(uid) > 0
    assert int(gid) > 0


@pytest.mark.parametrize("component", COMPONENTS)
def test_every_copy_source_is_in_the_build_context(component: str) -> None:
    """Each COPY source (outside --from) exists in the component's directory and
    survives .dockerignore, files inside directories included."""
    context = DOCKERFILES[component].parent
    for copy_ in copies(DOCKERFILES[component]):
        if "from" in copy_.flags:
            continue
        for source in copy_.sources:
            assert (context / source).exists(), f"{component}/{source} does not exist"
            assert in_build_context(context, source.rstrip("/")), f"{source} is ignored"
            assert context_files(context, source), f"{source} brings no file"


def test_backend_context_holds_every_module_and_nothing_else() -> None:
    """Every Python module of the calculator package reaches the image; tests, caches
    and virtual environments do not."""
    modules = sorted(
        path.relative_to(BACKEND_DIR).as_posix()
        for path in (BACKEND_DIR / "calculator").rglob("*.py")
        if "__pycache__" not in path.parts
    )
    assert modules
    assert [
        path for path in context_files(BACKEND_DIR, "calculator") if path.endswith(".py")
    ] == modules
    for kept_out in (
        "tests/test_api.py",
        "calculator/__pycache__/api.cpython-311.pyc",
        ".venv/bin/python",
        ".pytest_cache/README.md",
        "Dockerfile",
    ):
        assert not in_build_context(BACKEND_DIR, kept_out), kept_out


def test_frontend_context_holds_the_ui_and_nothing_else() -> None:
    """The template, index.html and every asset reach the image; the local runner and
    anything else in frontend/ do not."""
    assets = sorted(
        path.relative_to(FRONTEND_DIR).as_posix()
        for path in (FRONTEND_DIR / "assets").rglob("*")
        if path.is_file()
    )
    assert assets
    assert context_files(FRONTEND_DIR, "assets/") == assets
    assert in_build_context(FRONTEND_DIR, "index.html")
    assert in_build_context(FRONTEND_DIR, "nginx/default.conf.template")
    for kept_out in ("run_local.py", "Dockerfile", "tests/test_ui.py", "node_modules/x/y.js"):
        assert not in_build_context(FRONTEND_DIR, kept_out), kept_out


@pytest.mark.parametrize(
    ("pattern_lines", "path", "expected"),
    [
        (["*", "!calculator/"], "calculator/api.py", True),
        (["*", "!calculator/", "**/__pycache__"], "calculator/x/__pycache__/a.pyc", False),
        (["*", "!calculator/"], "tests/test_api.py", False),
        (["tests"], "tests/unit/test_a.py", False),
        (["*.md", "!README.md"], "README.md", True),
        (["*.md", "!README.md"], "CHANGES.md", False),
        (["docs/*.txt"], "docs/sub/a.txt", True),
    ],
)
def test_dockerignore_reader_follows_dockers_rules(
    tmp_path: Path, pattern_lines: list[str], path: str, expected: bool
) -> None:
    """The .dockerignore reader the checks above rely on: last match wins, a matched
    directory takes its contents with it, * stays within one path segment."""
    (tmp_path / ".dockerignore").write_text("\n".join(pattern_lines) + "\n")
    assert in_build_context(tmp_path, path) is expected


def test_frontend_image_drops_the_base_images_example_site() -> None:
    """The base image's conf.d/default.conf is removed, so a plain `docker run` (without
    a conf.d volume) serves only the rendered template."""
    runs = [item.args for item in instructions(DOCKERFILES["frontend"], "RUN")]
    assert "rm -f /etc/nginx/conf.d/default.conf" in runs
    destinations = [copy_.destination for copy_ in copies(DOCKERFILES["frontend"])]
    assert "/etc/nginx/templates/default.conf.template" in destinations
