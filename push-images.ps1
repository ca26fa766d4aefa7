#!/usr/bin/env pwsh
#Requires -Version 5.1
<#
.SYNOPSIS
    Push both images, tagged with the version in VERSION (or -Tag) and latest, to a registry.
.DESCRIPTION
    The twin of push-images.sh: the same options, the same docker commands.
    Pushes the images that ./build-images.ps1 -Registry REGISTRY built:
      REGISTRY/k8s-calculator-backend:TAG   and :latest
      REGISTRY/k8s-calculator-frontend:TAG  and :latest
    Nothing is pushed unless every one of them exists locally. Log in first
    (docker login REGISTRY) if the registry needs it. Runs under Windows PowerShell 5.1
    and PowerShell 7. The environment variable DOCKER names the container CLI
    (default: docker).
.PARAMETER Registry
    Where to push, e.g. localhost:5001 or registry.example.com/team. Default: the
    REGISTRY environment variable; one of the two is required.
.PARAMETER Tag
    Tag to push (default: the VERSION file).
.PARAMETER NoLatest
    Do not push the latest tag (registries with immutable tags).
.PARAMETER Help
    Show this help and exit.
.EXAMPLE
    ./push-images.ps1 -Registry localhost:5001
#>
[CmdletBinding()]
param(
    [Alias('r')] [string] $Registry = $env:REGISTRY,
    [Alias('t')] [string] $Tag = '',
    [switch] $NoLatest,
    [Alias('h')] [switch] $Help
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$ScriptName = 'push-images.ps1'
$Images = @(
    'k8s-calculator-backend'
    'k8s-calculator-frontend'
)
$RegistryPattern = '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]+)?(/[a-z0-9][a-z0-9._-]*)*$'
$TagPattern = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$'
$VersionPattern = '^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$'

function Stop-WithError([string] $Message, [int] $Code = 1) {
    [Console]::Error.WriteLine("${ScriptName}: $Message")
    exit $Code
}

# True when the image exists locally. The error preference is lowered around the call:
# under Windows PowerShell 5.1, docker's "No such image" on a redirected stderr would
# otherwise stop the script instead of returning false.
function Test-Image([string] $Ref) {
    $Previous = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'
    try {
        & $Docker image inspect $Ref 2>&1 | Out-Null
        return $LASTEXITCODE -eq 0
    } finally {
        $ErrorActionPreference = $Previous
    }
}

if ($Help) {
    Get-Help $PSCommandPath -Detailed
    exit 0
}

$Docker = if ($env:DOCKER) { $env:DOCKER } else { 'docker' }
$Version = (Get-Content -Raw (Join-Path $PSScriptRoot 'VERSION')).Trim()
if ($Version -cnotmatch $VersionPattern) {
    Stop-WithError "VERSION holds '$Version', not a version like 1.2.3"
}
if (-not $Tag) { $Tag = $Version }
$Registry = "$Registry".TrimEnd('/')
if (-not $Registry) {
    Stop-WithError 'no registry given: pass -Registry REGISTRY or set REGISTRY (e.g. localhost:5001)' 2
}
if ($Registry -cnotmatch $RegistryPattern) {
    Stop-WithError "invalid registry '$Registry': expected HOST[:PORT][/PATH], e.g. localhost:5001" 2
}
if ($Tag -cnotmatch $TagPattern) {
    Stop-WithError "invalid tag '$Tag': letters, digits, _ . - (at most 128)" 2
}
if (-not (Get-Command $Docker -ErrorAction SilentlyContinue)) {
    Stop-WithError "'$Docker' not found: install Docker (or set DOCKER=podman)"
}

$Refs = @()
foreach ($Image in $Images) {
    $Refs += "$Registry/${Image}:$Tag"
    if (-not $NoLatest) { $Refs += "$Registry/${Image}:latest" }
}
# All or nothing: check every image before pushing any.
foreach ($Ref in $Refs) {
    if (-not (Test-Image $Ref)) {
        Stop-WithError "image $Ref not found: build it first with ./build-images.ps1 -Registry $Registry"
    }
}
foreach ($Ref in $Refs) {
    Write-Output "${ScriptName}: pushing $Ref"
    & $Docker push $Ref
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}
Write-Output "${ScriptName}: pushed $($Refs.Count) tags to $Registry"
