#!/usr/bin/env pwsh
<#
.SYNOPSIS
    Build both images, tagged with the version in VERSION and with latest.
.DESCRIPTION
    The twin of build-images.sh: the same options, the same image names.
      [REGISTRY/]k8s-calculator-backend:VERSION   and :latest   (from backend/)
      [REGISTRY/]k8s-calculator-frontend:VERSION  and :latest   (from frontend/)
    VERSION is read from the VERSION file; the git commit and origin are recorded
    as OCI labels (org.opencontainers.image.revision and .source).
    The environment variable DOCKER names the container CLI (default: docker).
.PARAMETER Registry
    Prefix the names with REGISTRY/ (for push-images.ps1), e.g. localhost:5001 or
    registry.example.com/team. Default: the REGISTRY environment variable, else none.
.PARAMETER Help
    Show this help and exit.
.EXAMPLE
    ./build-images.ps1 -Registry localhost:5001
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

$ScriptName = 'build-images.ps1'
# Image name and build context (a directory holding a Dockerfile), one pair per image.
$Images = @(
    'k8s-calculator-backend=backend'
    'k8s-calculator-frontend=frontend'
)

function Stop-WithError([string] $Message, [int] $Code = 1) {
    [Console]::Error.WriteLine("${ScriptName}: $Message")
    exit $Code
}

function Get-GitValue([string[]] $GitArgs) {
    try {
        $Value = & git -C $PSScriptRoot @GitArgs 2>$null
        if ($LASTEXITCODE -eq 0 -and $Value) { return "$Value".Trim() }
    } catch {
        # git is not installed: the label says unknown.
    }
    return 'unknown'
}

if ($Help) {
    Get-Help $PSCommandPath -Detailed
    exit 0
}

$Docker = if ($env:DOCKER) { $env:DOCKER } else { 'docker' }

$Registry = $Registry.TrimEnd('/')
if ($Registry -and $Registry -cnotmatch '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]+)?(/[a-z0-9][a-z0-9._-]*)*$') {
    Stop-WithError "invalid registry '$Registry': expected HOST[:PORT][/PATH], e.g. localhost:5001" 2
}
$Prefix = if ($Registry) { "$Registry/" } else { '' }

$Version = (Get-Content -Raw (Join-Path $PSScriptRoot 'VERSION')).Trim()
if ($Version -cnotmatch '^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$') {
    Stop-WithError "VERSION holds '$Version', not a version like 1.2.3"
}
$Revision = Get-GitValue @('rev-parse', 'HEAD')
# The origin URL without any user:password@ part.
$SourceUrl = (Get-GitValue @('remote', 'get-url', 'origin')) -replace '^([a-z]+://)[^@/]*@', '$1'

if (-not (Get-Command $Docker -ErrorAction SilentlyContinue)) {
    Stop-WithError "'$Docker' not found: install Docker (or set DOCKER=podman)"
}

foreach ($Entry in $Images) {
    $Image, $Directory = $Entry -split '=', 2
    $Name = "$Prefix$Image"
    $Context = Join-Path $PSScriptRoot $Directory
    Write-Output "${ScriptName}: building ${Name}:$Version and ${Name}:latest from $Directory/"
    & $Docker build `
        --file (Join-Path $Context 'Dockerfile') `
        --tag "${Name}:$Version" `
        --tag "${Name}:latest" `
        --build-arg "VERSION=$Version" `
        --build-arg "REVISION=$Revision" `
        --build-arg "SOURCE=$SourceUrl" `
        $Context
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

Write-Output "${ScriptName}: built"
foreach ($Entry in $Images) {
    $Image = ($Entry -split '=', 2)[0]
    Write-Output "  $Prefix${Image}:$Version"
    Write-Output "  $Prefix${Image}:latest"
}
