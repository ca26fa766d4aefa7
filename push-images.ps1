#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Push both images, with both tags (the version in VERSION and latest), to a registry.
.DESCRIPTION
    The twin of push-images.sh: the same options, the same image names.
    Pushes the images that ./build-images.ps1 -Registry REGISTRY built:
      REGISTRY/k8s-calculator-backend:VERSION   and :latest
      REGISTRY/k8s-calculator-frontend:VERSION  and :latest
    Nothing is pushed unless all four exist. Log in first (docker login REGISTRY)
    if the registry needs it. The environment variable DOCKER names the container
    CLI (default: docker).
.PARAMETER Registry
    Where to push, e.g. localhost:5001 or registry.example.com/team. Default: the
    REGISTRY environment variable; one of the two is required.
.PARAMETER Help
    Show this help and exit.
.EXAMPLE
    ./push-images.ps1 -Registry localhost:5001
#>
[CmdletBinding()]
param(
    [Alias('r')]
    [string] $Registry = $env:REGISTRY,
    [Alias('h')]
    [switch] $Help
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$ScriptName = 'push-images.ps1'
$Images = @(
    'k8s-calculator-backend'
    'k8s-calculator-frontend'
)

function Stop-WithError([string] $Message, [int] $Code = 1) {
    [Console]::Error.WriteLine("${ScriptName}: $Message")
    exit $Code
}

if ($Help) {
    Get-Help $PSCommandPath -Detailed
    exit 0
}

$Docker = if ($env:DOCKER) { $env:DOCKER } else { 'docker' }

$Registry = $Registry.TrimEnd('/')
if (-not $Registry) {
    Stop-WithError 'no registry given: pass -Registry REGISTRY or set REGISTRY (e.g. localhost:5001)' 2
}
if ($Registry -cnotmatch '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]+)?(/[a-z0-9][a-z0-9._-]*)*$') {
    Stop-WithError "invalid registry '$Registry': expected HOST[:PORT][/PATH], e.g. localhost:5001" 2
}

$Version = (Get-Content -Raw (Join-Path $PSScriptRoot 'VERSION')).Trim()
if ($Version -cnotmatch '^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$') {
    Stop-WithError "VERSION holds '$Version', not a version like 1.2.3"
}

if (-not (Get-Command $Docker -ErrorAction SilentlyContinue)) {
    Stop-WithError "'$Docker' not found: install Docker (or set DOCKER=podman)"
}

$Refs = @()
foreach ($Image in $Images) {
    $Refs += "$Registry/${Image}:$Version", "$Registry/${Image}:latest"
}
# All or nothing: check every image before pushing any.
foreach ($Ref in $Refs) {
    & $Docker image inspect $Ref *> $null
    if ($LASTEXITCODE -ne 0) {
        Stop-WithError "image $Ref not found: build it first with ./build-images.ps1 -Registry $Registry"
    }
}
foreach ($Ref in $Refs) {
    Write-Output "${ScriptName}: pushing $Ref"
    & $Docker push $Ref
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}
Write-Output "${ScriptName}: pushed $($Refs.Count) tags to $Registry"
