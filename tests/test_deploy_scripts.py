"""build-images / push-images: the bash scripts run for real against a fake `docker`, and
their PowerShell twins compared with them line by line where they must agree.

The fake docker records its arguments (one JSON array per call) and answers
`image inspect` from a list of images that "exist", so the tests see exactly which tags,
labels and pushes the scripts would produce. PowerShell is not installable here from the
package registries this project uses, so the twins are compared by parsing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from deploy_support import IMAGE_NAMES, VERSION

from servers import ROOT, require_executable

BASH_SCRIPTS = ("build-images.sh", "push-images.sh")
TWINS = {"build-images.sh": "build-images.ps1", "push-images.sh": "push-images.ps1"}
REVISION = subprocess.run(
    ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
).stdout.strip()

FAKE_DOCKER = f"""#!{sys.executable}
import json, os, sys
args = sys.argv[1:]
with open(os.environ["FAKE_DOCKER_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
if args[:2] == ["image", "inspect"]:
    existing = os.environ.get("FAKE_DOCKER_IMAGES", "").split()
    if args[2] not in existing:
        print("Error: No such image: " + args[2], file=sys.stderr)
        sys.exit(1)
    print("[{{}}]")
if args and args[0] == os.environ.get("FAKE_DOCKER_FAIL"):
    print("fake docker: " + args[0] + " failed", file=sys.stderr)
    sys.exit(17)
"""


@dataclass
class Run:
    """What a script did: exit code, output, and every docker call it made."""

    returncode: int
    stdout: str
    stderr: str
    calls: list[list[str]]


@pytest.fixture
def fake_docker(tmp_path: Path) -> Path:
    """A directory holding the fake docker, to put first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    docker.write_text(FAKE_DOCKER, encoding="utf-8")
    docker.chmod(docker.stat().st_mode | stat.S_IXUSR)
    return bin_dir


def run_script(
    script: Path,
    *args: str,
    bin_dir: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Run:
    """Run a bash script with the fake docker first on PATH; collect its docker calls."""
    log = bin_dir / "calls.jsonl"
    log.write_text("", encoding="utf-8")
    full_env = {
        "PATH": f"{bin_dir}{os.pathsep}/usr/bin:/bin",
        "HOME": str(bin_dir),
        "FAKE_DOCKER_LOG": str(log),
        **(env or {}),
    }
    result = subprocess.run(
        ["bash", str(script), *args],
        cwd=cwd or bin_dir,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    calls = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    return Run(result.returncode, result.stdout, result.stderr, calls)


def expected_build(
    prefix: str, component: str, revision: str, source: str, root: Path
) -> list[str]:
    """The exact docker command build-images.sh must run for one image."""
    name = f"{prefix}k8s-calculator-{component}"
    return [
        "build",
        "--file",
        f"{root}/{component}/Dockerfile",
        "--tag",
        f"{name}:{VERSION}",
        "--tag",
        f"{name}:latest",
        "--build-arg",
        f"VERSION={VERSION}",
        "--build-arg",
        f"REVISION={revision}",
        "--build-arg",
        f"SOURCE={source}",
        f"{root}/{component}",
    ]


def origin_url(root: Path) -> str:
    """What the build script records as the source: origin's URL, or unknown."""
    result = subprocess.run(
        ["git", "-C", str(root), "remote", "get-url", "origin"],
        capture_output=True,
        text=True,
        check=False,
    )
    url = result.stdout.strip() if result.returncode == 0 else "unknown"
    return re.sub(r"^([a-z]+://)[^@/]*@", r"\1", url)


def all_refs(registry: str) -> list[str]:
    """The four references push-images.sh pushes, in order."""
    return [f"{registry}/{name}:{tag}" for name in IMAGE_NAMES for tag in (VERSION, "latest")]


# --- Lint and shape ----------------------------------------------------------------------


def test_shellcheck_reports_nothing() -> None:
    """shellcheck with every optional check (bar brace style): no finding."""
    shellcheck = require_executable("shellcheck")
    result = subprocess.run(
        [shellcheck, "--enable=all", "--exclude=SC2250", *BASH_SCRIPTS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", BASH_SCRIPTS)
def test_bash_scripts_are_strict_and_executable(name: str) -> None:
    """A bash shebang, `set -euo pipefail` before any command, the executable bit."""
    path = ROOT / name
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "#!/usr/bin/env bash"
    code = [line for line in lines[1:] if line.strip() and not line.startswith("#")]
    assert code[0] == "set -euo pipefail"
    assert os.access(path, os.X_OK)


@pytest.mark.parametrize("name", BASH_SCRIPTS)
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_explains_the_options_and_touches_nothing(
    name: str, flag: str, fake_docker: Path
) -> None:
    """--help prints usage with every option on stdout, exits 0, runs no docker."""
    run = run_script(ROOT / name, flag, bin_dir=fake_docker)
    assert run.returncode == 0
    assert run.stdout.startswith(f"Usage: ./{name} ")
    for option in ("--registry REGISTRY", "--help", "REGISTRY", "DOCKER"):
        assert option in run.stdout
    assert run.stderr == ""
    assert run.calls == []


@pytest.mark.parametrize("name", BASH_SCRIPTS)
def test_unknown_option_is_a_usage_error(name: str, fake_docker: Path) -> None:
    """An unknown argument exits 2 with a message naming it, before any docker call."""
    run = run_script(ROOT / name, "--tag", "x", bin_dir=fake_docker)
    assert run.returncode == 2
    assert run.stderr == f"{name}: unknown argument: --tag (try --help)\n"
    assert run.calls == []


@pytest.mark.parametrize("name", BASH_SCRIPTS)
def test_registry_option_needs_a_value(name: str, fake_docker: Path) -> None:
    """`--registry` with nothing after it exits 2."""
    run = run_script(ROOT / name, "--registry", bin_dir=fake_docker)
    assert run.returncode == 2
    assert "option --registry needs a value" in run.stderr
    assert run.calls == []


@pytest.mark.parametrize("name", BASH_SCRIPTS)
@pytest.mark.parametrize(
    "registry", ["bad registry", "host/UPPER", "host:port", "-x", "host./a", "host/-a"]
)
def test_malformed_registry_is_refused(name: str, registry: str, fake_docker: Path) -> None:
    """A registry that cannot prefix an image name exits 2 before any docker call."""
    run = run_script(ROOT / name, f"--registry={registry}", bin_dir=fake_docker)
    assert run.returncode == 2
    assert f"invalid registry '{registry}'" in run.stderr
    assert run.calls == []


@pytest.mark.parametrize("name", BASH_SCRIPTS)
def test_missing_docker_is_reported(name: str, fake_docker: Path) -> None:
    """DOCKER naming a command that does not exist: exit 1 and say so."""
    run = run_script(
        ROOT / name,
        "--registry",
        "localhost:5001",
        bin_dir=fake_docker,
        env={"DOCKER": "no-such-docker"},
    )
    assert run.returncode == 1
    assert "'no-such-docker' not found" in run.stderr


# --- build-images.sh -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "env", "prefix"),
    [
        ((), {}, ""),
        (("--registry", "localhost:5001"), {}, "localhost:5001/"),
        (("-r", "registry.example.com/team/"), {}, "registry.example.com/team/"),
        (("--registry=localhost:5001/a.b/c-d",), {}, "localhost:5001/a.b/c-d/"),
        ((), {"REGISTRY": "localhost:5001"}, "localhost:5001/"),
        (("--registry", "localhost:6000"), {"REGISTRY": "localhost:5001"}, "localhost:6000/"),
    ],
)
def test_build_tags_both_images_with_version_and_latest(
    args: tuple[str, ...], env: dict[str, str], prefix: str, fake_docker: Path
) -> None:
    """Two `docker build` calls, one per image, each tagged [REGISTRY/]NAME:VERSION and
    :latest with the VERSION, git revision and origin as build args (the OCI labels);
    --registry beats REGISTRY, a trailing slash is dropped."""
    run = run_script(ROOT / "build-images.sh", *args, bin_dir=fake_docker, env=env)
    assert run.returncode == 0, run.stderr
    source = origin_url(ROOT)
    assert run.calls == [
        expected_build(prefix, component, REVISION, source, ROOT)
        for component in ("backend", "frontend")
    ]
    listed = run.stdout.split("built\n", 1)[1].split()
    assert listed == [
        f"{prefix}{name}:{tag}" for name in IMAGE_NAMES for tag in (VERSION, "latest")
    ]


def test_build_works_from_any_directory(fake_docker: Path, tmp_path: Path) -> None:
    """Paths are the checkout's, whatever the current directory."""
    run = run_script(ROOT / "build-images.sh", bin_dir=fake_docker, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert [call[-1] for call in run.calls] == [f"{ROOT}/backend", f"{ROOT}/frontend"]


def test_build_stops_at_the_first_failed_build(fake_docker: Path) -> None:
    """A failing `docker build` ends the script with docker's exit code."""
    run = run_script(
        ROOT / "build-images.sh", bin_dir=fake_docker, env={"FAKE_DOCKER_FAIL": "build"}
    )
    assert run.returncode == 17
    assert len(run.calls) == 1


def _copy_scripts(destination: Path) -> Path:
    destination.mkdir()
    for name in (*BASH_SCRIPTS, "VERSION"):
        shutil.copy(ROOT / name, destination / name)
    return destination


def test_build_records_origin_without_credentials(fake_docker: Path, tmp_path: Path) -> None:
    """The source label is origin's URL with any user:password@ removed, the revision
    is the commit."""
    checkout = _copy_scripts(tmp_path / "checkout")
    git = ["git", "-C", str(checkout), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    subprocess.run(
        [*git, "remote", "add", "origin", "https://someone:s3cret@git.example.com/team/calc.git"],
        check=True,
    )
    head = subprocess.run(
        [*git, "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    run = run_script(checkout / "build-images.sh", bin_dir=fake_docker)
    assert run.returncode == 0, run.stderr
    assert run.calls[0] == expected_build(
        "", "backend", head, "https://git.example.com/team/calc.git", checkout
    )
    assert "s3cret" not in json.dumps(run.calls)


def test_build_outside_git_labels_unknown(fake_docker: Path, tmp_path: Path) -> None:
    """Without git metadata (a source tarball) revision and source are "unknown"."""
    checkout = _copy_scripts(tmp_path / "tarball")
    run = run_script(
        checkout / "build-images.sh", bin_dir=fake_docker, env={"GIT_CEILING_DIRECTORIES": "/"}
    )
    assert run.returncode == 0, run.stderr
    assert run.calls[1] == expected_build("", "frontend", "unknown", "unknown", checkout)


def test_build_refuses_a_malformed_version_file(fake_docker: Path, tmp_path: Path) -> None:
    """VERSION must hold a tag-safe version like 1.2.3."""
    checkout = _copy_scripts(tmp_path / "checkout")
    (checkout / "VERSION").write_text("1.2 beta\n")
    run = run_script(checkout / "build-images.sh", bin_dir=fake_docker)
    assert run.returncode == 1
    assert "VERSION holds '1.2beta', not a version like 1.2.3" in run.stderr
    assert run.calls == []


# --- push-images.sh ------------------------------------------------------------------------


def test_push_without_registry_fails_clearly(fake_docker: Path) -> None:
    """No --registry and no REGISTRY: exit 2 with a message saying how to give one."""
    run = run_script(ROOT / "push-images.sh", bin_dir=fake_docker)
    assert run.returncode == 2
    assert run.stderr == (
        "push-images.sh: no registry given: pass --registry REGISTRY or set REGISTRY"
        " (e.g. localhost:5001)\n"
    )
    assert run.calls == []


@pytest.mark.parametrize("missing", range(4))
def test_push_of_an_image_not_built_fails_before_pushing_anything(
    missing: int, fake_docker: Path
) -> None:
    """If any of the four tags is missing locally, nothing is pushed and the message
    says which one and how to build it."""
    refs = all_refs("localhost:5001")
    present = [ref for index, ref in enumerate(refs) if index != missing]
    run = run_script(
        ROOT / "push-images.sh",
        "--registry",
        "localhost:5001",
        bin_dir=fake_docker,
        env={"FAKE_DOCKER_IMAGES": " ".join(present)},
    )
    assert run.returncode == 1
    assert run.stderr == (
        f"push-images.sh: image {refs[missing]} not found: build it first with "
        "./build-images.sh --registry localhost:5001\n"
    )
    assert not [call for call in run.calls if call[0] == "push"]


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("--registry", "localhost:5001/team/"), {}),
        ((), {"REGISTRY": "localhost:5001/team"}),
    ],
)
def test_push_pushes_both_tags_of_both_images(
    args: tuple[str, ...], env: dict[str, str], fake_docker: Path
) -> None:
    """With all four built: inspect each, then push each, VERSION and latest."""
    refs = all_refs("localhost:5001/team")
    run = run_script(
        ROOT / "push-images.sh",
        *args,
        bin_dir=fake_docker,
        env={**env, "FAKE_DOCKER_IMAGES": " ".join(refs)},
    )
    assert run.returncode == 0, run.stderr
    assert run.calls == [["image", "inspect", ref] for ref in refs] + [
        ["push", ref] for ref in refs
    ]
    assert run.stdout.endswith("pushed 4 tags to localhost:5001/team\n")


def test_push_stops_at_the_first_failed_push(fake_docker: Path) -> None:
    """A failing `docker push` ends the script with docker's exit code."""
    refs = all_refs("localhost:5001")
    run = run_script(
        ROOT / "push-images.sh",
        "-r",
        "localhost:5001",
        bin_dir=fake_docker,
        env={"FAKE_DOCKER_IMAGES": " ".join(refs), "FAKE_DOCKER_FAIL": "push"},
    )
    assert run.returncode == 17
    assert run.calls[-1] == ["push", refs[0]]


def test_build_then_push_agree_on_names(fake_docker: Path) -> None:
    """What build-images.sh --registry R tags is exactly what push-images.sh --registry R
    looks for and pushes."""
    built = run_script(ROOT / "build-images.sh", "-r", "localhost:5001", bin_dir=fake_docker)
    tags = [call[index + 1] for call in built.calls for index in _indexes(call, "--tag")]
    pushed = run_script(
        ROOT / "push-images.sh",
        "-r",
        "localhost:5001",
        bin_dir=fake_docker,
        env={"FAKE_DOCKER_IMAGES": " ".join(tags)},
    )
    assert pushed.returncode == 0, pushed.stderr
    assert [call[1] for call in pushed.calls if call[0] == "push"] == tags


def _indexes(items: list[str], value: str) -> list[int]:
    return [index for index, item in enumerate(items) if item == value]


# --- The PowerShell twins ------------------------------------------------------------------


def _text(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def _bash_options(text: str) -> set[str]:
    """Long option names the bash argument loop accepts (plus their one-letter forms)."""
    options = set()
    for pattern in re.findall(r"^\s+(-[a-z] \| --[a-z-]+)\)$", text, re.MULTILINE):
        short, long = pattern.split(" | ")
        options.add((long[2:], short[1:]))
    return {f"{long}/{short}" for long, short in options}


def _powershell_parameters(text: str) -> set[str]:
    """Parameter names (lower case) and their aliases from the param() block."""
    block = re.search(r"^param\((.*?)^\)", text, re.MULTILINE | re.DOTALL)
    assert block is not None
    found = re.findall(r"\[Alias\('([a-z])'\)\]\s*\[\w+\]\s*\$(\w+)", block.group(1))
    return {f"{name.lower()}/{alias}" for alias, name in found}


def _array(text: str, bash_name: str, powershell_name: str) -> list[str]:
    if bash_name:
        block = re.search(rf"{bash_name}=\((.*?)\)", text, re.DOTALL)
        assert block is not None
        return re.findall(r'"([^"]+)"', block.group(1))
    block = re.search(rf"\${powershell_name} = @\((.*?)\)", text, re.DOTALL)
    assert block is not None
    return re.findall(r"'([^']+)'", block.group(1))


def _messages(text: str, function: str) -> dict[str, int]:
    """Error message -> exit code, with variables replaced by <> and PowerShell
    spellings by bash's."""
    found = re.findall(rf"{function} (\"[^\"]*\"|'[^']*')(?: (\d))?", text)
    normalized = {}
    for quoted, code in found:
        message = re.sub(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\$[0-9]", "<>", quoted[1:-1])
        message = message.replace("-Registry", "--registry").replace(".ps1", ".sh")
        if "try --help" not in message:  # argument parsing is PowerShell's own
            normalized[message] = int(code or 1)
    return normalized


def _docker_flags(text: str, marker: str) -> list[str]:
    start = text.index(marker)
    block = text[start : text.index("\n\n", start) if "\n\n" in text[start:] else None]
    return re.findall(r"(--[a-z-]+) \"?([A-Z]*)", block)


@pytest.mark.parametrize(("bash", "powershell"), sorted(TWINS.items()))
def test_twins_accept_the_same_options(bash: str, powershell: str) -> None:
    """--registry/-r and --help/-h in bash; -Registry/-r and -Help/-h in PowerShell;
    both default the registry to the REGISTRY variable."""
    assert _bash_options(_text(bash)) == {"help/h", "registry/r"}
    assert _powershell_parameters(_text(powershell)) == {"help/h", "registry/r"}
    assert 'registry="${REGISTRY:-}"' in _text(bash)
    assert "[string] $Registry = $env:REGISTRY" in _text(powershell)
    for parameter in ("Registry", "Help"):
        assert f".PARAMETER {parameter}" in _text(powershell)


@pytest.mark.parametrize(("bash", "powershell"), sorted(TWINS.items()))
def test_twins_name_the_same_images_the_same_way(bash: str, powershell: str) -> None:
    """Same image list, same version source and check, same registry check, same
    tag forms (REGISTRY/NAME:VERSION and :latest)."""
    sh, ps = _text(bash), _text(powershell)
    assert _array(sh, "IMAGES", "") == _array(ps, "", "Images")
    registry_re = r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]+)?(/[a-z0-9][a-z0-9._-]*)*$"
    version_re = r"^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$"
    for pattern in (registry_re, version_re):
        assert pattern in sh
        assert f"'{pattern}'" in ps, "PowerShell must use the same (case-sensitive) pattern"
        assert "-cnotmatch" in ps
    assert '<"${root}/VERSION"' in sh.replace("$root", "${root}")
    assert "Join-Path $PSScriptRoot 'VERSION'" in ps
    if bash == "build-images.sh":
        assert 'prefix="${registry:+$registry/}"' in sh
        assert '$Prefix = if ($Registry) { "$Registry/" }' in ps
        for tag in ('"$name:$version"', '"$name:latest"'):
            assert tag in sh
        for tag in ('"${Name}:$Version"', '"${Name}:latest"'):
            assert tag in ps
    else:
        assert 'refs+=("$registry/$image:$version" "$registry/$image:latest")' in sh
        assert '"$Registry/${Image}:$Version", "$Registry/${Image}:latest"' in ps


def test_twins_run_the_same_docker_build() -> None:
    """The same docker build flags and build args, in the same order."""
    sh = _docker_flags(_text("build-images.sh"), '"$docker" build')
    ps = _docker_flags(_text("build-images.ps1"), "& $Docker build")
    assert sh == ps
    assert [arg for flag, arg in sh if flag == "--build-arg"] == ["VERSION", "REVISION", "SOURCE"]


def test_twins_push_the_same_way() -> None:
    """Both check every image with `image inspect` before the first `push`."""
    sh, ps = _text("push-images.sh"), _text("push-images.ps1")
    assert sh.index('"$docker" image inspect "$ref"') < sh.index('"$docker" push "$ref"')
    assert ps.index("& $Docker image inspect $Ref") < ps.index("& $Docker push $Ref")


@pytest.mark.parametrize(("bash", "powershell"), sorted(TWINS.items()))
def test_twins_fail_with_the_same_messages(bash: str, powershell: str) -> None:
    """Every error message the bash script can print, the twin prints too (in its own
    option spelling), with the same exit code (2 for usage errors, else 1)."""
    sh = _messages(_text(bash), "die")
    ps = _messages(_text(powershell), "Stop-WithError")
    assert sh == ps
    assert len(sh) >= 3


@pytest.mark.parametrize("name", TWINS.values())
def test_powershell_twins_stop_on_errors(name: str) -> None:
    """Strict mode, errors stop the script, and each native docker call's exit code is
    checked."""
    text = _text(name)
    assert "Set-StrictMode -Version Latest" in text
    assert "$ErrorActionPreference = 'Stop'" in text
    docker_calls = text.count("& $Docker ")
    assert docker_calls == text.count("$LASTEXITCODE -ne 0")
