"""build-images / push-images, run for real against a recording stub of `docker`.

The stub (first on PATH) writes each call's arguments as one JSON line and answers
`image inspect` from a list of images that "exist", so a test sees exactly the commands a
script would run. Each case runs the bash script and, where `pwsh` exists, its PowerShell
twin with the same options: both must run the same commands. pwsh cannot be installed on
the machines this project's CI uses, so there (and only for that reason) the twins' runs
skip; the bash scripts always run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from deploy_support import IMAGE_NAMES, VERSION

from servers import ROOT

PWSH = shutil.which("pwsh")
SHELLS = [
    "bash",
    pytest.param(
        "pwsh",
        marks=pytest.mark.skipif(
            PWSH is None,
            reason="pwsh is not installed (not installable here, in CI either): "
            "the PowerShell twins run only where PowerShell 7 exists",
        ),
    ),
]
# bash option -> PowerShell parameter.
PS_OPTIONS = {
    "--registry": "-Registry",
    "--tag": "-Tag",
    "--platform": "-Platform",
    "--no-latest": "-NoLatest",
    "--help": "-Help",
}
STUB = """#!/bin/sh
python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' "$@" >>"$STUB_LOG"
if [ "$1 $2" = "image inspect" ]; then
    case " $STUB_IMAGES " in *" $3 "*) exit 0 ;; *) echo "No such image: $3" >&2; exit 1 ;; esac
fi
if [ "$1" = "$STUB_FAIL" ]; then echo "stub: $1 failed" >&2; exit 17; fi
exit 0
"""


@dataclass
class Run:
    """What a script did: exit code, output, and every docker call it made."""

    returncode: int
    stdout: str
    stderr: str
    calls: list[list[str]]


@pytest.fixture
def stub_bin(tmp_path: Path) -> Path:
    """A directory holding the recording docker stub, to put first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    docker.write_text(STUB, encoding="utf-8")
    docker.chmod(0o755)
    return bin_dir


def run(shell: str, name: str, *args: str, stub_bin: Path, root: Path = ROOT, **env: str) -> Run:
    """Run build-images/push-images (bash or PowerShell twin) with bash-style options."""
    log = stub_bin / "calls.jsonl"
    log.write_text("", encoding="utf-8")
    if shell == "bash":
        argv = ["bash", str(root / f"{name}.sh"), *args]
    else:
        assert PWSH is not None
        translated = [PS_OPTIONS.get(arg, arg) for arg in args]
        argv = [PWSH, "-NoProfile", "-NonInteractive", "-File", str(root / f"{name}.ps1")]
        argv += translated
    full_env = {
        "PATH": f"{stub_bin}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(stub_bin),
        "STUB_LOG": str(log),
        "STUB_IMAGES": "",
        "STUB_FAIL": "",
        **env,
    }
    result = subprocess.run(
        argv, cwd=stub_bin, env=full_env, capture_output=True, text=True, timeout=120, check=False
    )
    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    return Run(result.returncode, result.stdout, result.stderr, calls)


def git_value(root: Path, *args: str) -> str:
    """What the build records from git (or 'unknown'), as the scripts compute it."""
    result = subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() if result.returncode == 0 else "unknown"


def expected_build(
    image: str,
    *,
    prefix: str = "",
    tag: str = VERSION,
    latest: bool = True,
    platform: str = "",
    root: Path = ROOT,
    source: str | None = None,
) -> list[str]:
    """The docker command build-images must run for one image."""
    component = image.removeprefix("k8s-calculator-")
    context = str(root / component)
    command = ["build"]
    if platform:
        output = "--push" if "," in platform else "--load"
        command = ["buildx", "build", "--platform", platform, output]
    command += ["--file", f"{context}/Dockerfile", "--tag", f"{prefix}{image}:{tag}"]
    if latest:
        command += ["--tag", f"{prefix}{image}:latest"]
    revision = git_value(root, "rev-parse", "--quiet", "--verify", "HEAD")
    if source is None:
        source = git_value(root, "remote", "get-url", "origin")
    return [
        *command,
        "--build-arg", f"VERSION={VERSION}",
        "--build-arg", f"REVISION={revision}",
        "--build-arg", f"SOURCE={source}",
        context,
    ]  # fmt: skip


BUILD_CASES = {
    "defaults": ([], {}),
    "tag": (["--tag", "3f2a1bc"], {"tag": "3f2a1bc"}),
    "no latest": (["--no-latest"], {"latest": False}),
    "registry": (["--registry", "localhost:5001/team/"], {"prefix": "localhost:5001/team/"}),
    "one platform": (["--platform", "linux/arm64"], {"platform": "linux/arm64"}),
    "multi-arch": (
        ["--platform", "linux/amd64,linux/arm64", "--registry", "r.example", "--no-latest"],
        {"platform": "linux/amd64,linux/arm64", "prefix": "r.example/", "latest": False},
    ),
}


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(("args", "expected"), BUILD_CASES.values(), ids=list(BUILD_CASES))
def test_build_runs_one_docker_build_per_image(
    shell: str, args: list[str], expected: dict[str, object], stub_bin: Path
) -> None:
    """Tag (default VERSION), latest unless --no-latest, registry prefix, buildx only with
    --platform (loaded for one platform, pushed for several); labels from git."""
    result = run(shell, "build-images", *args, stub_bin=stub_bin)
    assert result.returncode == 0, result.stderr
    assert result.calls == [expected_build(image, **expected) for image in IMAGE_NAMES]  # type: ignore[arg-type]


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("build-images", ["--bogus"]),
        ("build-images", ["--tag"]),
        ("build-images", ["--tag", "bad:tag"]),
        ("build-images", ["--registry", "https://r.example"]),
        ("build-images", ["--platform", "linux/amd64,linux/arm64"]),
        ("push-images", []),
        ("push-images", ["--registry", "r.example", "--tag", "-x"]),
        ("push-images", ["--registry", "UPPER case"]),
    ],
)
def test_bad_options_are_usage_errors_that_run_nothing(
    shell: str, name: str, args: list[str], stub_bin: Path
) -> None:
    """Unknown options, missing values, malformed tags or registries, several platforms
    without a registry to push to, a push with no registry: exit 2, no docker call."""
    result = run(shell, name, *args, stub_bin=stub_bin)
    assert (result.returncode, result.calls) == (2, []), result.stdout + result.stderr
    assert name in result.stderr


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("name", ["build-images", "push-images"])
def test_help_runs_nothing(shell: str, name: str, stub_bin: Path) -> None:
    """--help prints the usage, naming --tag, and exits 0 without calling docker."""
    result = run(shell, name, "--help", stub_bin=stub_bin)
    assert (result.returncode, result.calls) == (0, [])
    assert "tag" in result.stdout.lower()


@pytest.mark.parametrize("shell", SHELLS)
def test_a_failed_build_stops_the_script(shell: str, stub_bin: Path) -> None:
    """The first failing docker build ends the run with a failure; the second image is
    not built."""
    result = run(shell, "build-images", stub_bin=stub_bin, STUB_FAIL="build")
    assert result.returncode != 0
    assert len(result.calls) == 1


@pytest.mark.parametrize("shell", SHELLS)
def test_missing_docker_is_reported(shell: str, stub_bin: Path) -> None:
    """DOCKER naming a command that does not exist: a clear error, exit 1."""
    result = run(shell, "build-images", stub_bin=stub_bin, DOCKER="no-such-docker")
    assert result.returncode == 1
    assert "no-such-docker" in result.stderr


@pytest.mark.parametrize("shell", SHELLS)
def test_build_records_the_origin_without_credentials(
    shell: str, stub_bin: Path, tmp_path: Path
) -> None:
    """In a checkout whose origin URL holds user:password, the source label drops them."""
    root = tmp_path / "checkout"
    root.mkdir()
    for name in ("build-images.sh", "build-images.ps1", "VERSION"):
        shutil.copy(ROOT / name, root / name)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    subprocess.run(
        ["git", "-C", str(root), "remote", "add", "origin", "https://u:secret@git.example/a.git"],
        check=True,
    )
    result = run(shell, "build-images", "--no-latest", stub_bin=stub_bin, root=root)
    assert result.returncode == 0, result.stderr
    assert result.calls == [
        expected_build(image, latest=False, root=root, source="https://git.example/a.git")
        for image in IMAGE_NAMES
    ]
    assert "secret" not in result.stdout + json.dumps(result.calls)


PUSH_CASES = {
    "defaults": ([], VERSION, True),
    "tag, no latest": (["--tag", "3f2a1bc", "--no-latest"], "3f2a1bc", False),
}


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(("args", "tag", "latest"), PUSH_CASES.values(), ids=list(PUSH_CASES))
def test_push_checks_every_image_then_pushes_each(
    shell: str, args: list[str], tag: str, latest: bool, stub_bin: Path
) -> None:
    """All references are inspected first, then pushed in order; latest only if wanted."""
    refs = [
        f"localhost:5001/{image}:{each}"
        for image in IMAGE_NAMES
        for each in ([tag, "latest"] if latest else [tag])
    ]
    result = run(
        shell, "push-images", "--registry", "localhost:5001", *args,
        stub_bin=stub_bin, STUB_IMAGES=" ".join(refs),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    inspected = [["image", "inspect", ref] for ref in refs]
    assert result.calls == inspected + [["push", ref] for ref in refs]


@pytest.mark.parametrize("shell", SHELLS)
def test_push_of_a_missing_image_pushes_nothing(shell: str, stub_bin: Path) -> None:
    """One of the images was never built: the script says which and pushes nothing."""
    present = f"localhost:5001/{IMAGE_NAMES[0]}:{VERSION}"
    result = run(
        shell, "push-images", "--registry", "localhost:5001", "--no-latest",
        stub_bin=stub_bin, STUB_IMAGES=present,
    )  # fmt: skip
    assert result.returncode == 1
    assert f"{IMAGE_NAMES[1]}:{VERSION}" in result.stderr
    assert not [call for call in result.calls if call[0] == "push"]


@pytest.mark.parametrize("shell", SHELLS)
def test_a_failed_push_stops_the_script(shell: str, stub_bin: Path) -> None:
    """The first failing push ends the run with a failure."""
    refs = [f"r.example/{image}:{VERSION}" for image in IMAGE_NAMES]
    result = run(
        shell, "push-images", "--registry", "r.example", "--no-latest",
        stub_bin=stub_bin, STUB_IMAGES=" ".join(refs), STUB_FAIL="push",
    )  # fmt: skip
    assert result.returncode != 0
    assert [call for call in result.calls if call[0] == "push"] == [["push", refs[0]]]
