#!/usr/bin/env pwsh
#Requires -Version 5.1
<#
.SYNOPSIS
    Build both images, tagged with the version in VERSION (or -Tag) and with latest.
.DESCRIPTION
    The twin of build-images.sh: the same options, the same docker commands.
      [REGISTRY/]k8s-calculator-backend:TAG   and :latest   (from backend/)
      [REGISTRY/]k8s-calculator-frontend:TAG  and :latest   (from frontend/)
    The VERSION file gives the default TAG and the version the images report; the git
    commit and origin are recorded as OCI labels (revision, source). Runs under Windows
    PowerShell 5.1 and PowerShell 7. The environment variable DOCKER names the container
    CLI (default: docker).
.PARAMETER Registry
    Prefix the names with REGISTRY/, e.g. localhost:5001 or registry.example.com/team.
    Default: the REGISTRY environment variable, else none.
.PARAMETER Tag
    Tag to build (default: the VERSION file), e.g. a commit id.
.PARAMETER Platform
    Build with docker buildx for these platforms, e.g. linux/amd64 or
    linux/amd64,linux/arm64. One platform is loaded into the local image store; several
    are pushed to REGISTRY directly (a multi-arch image cannot be loaded).
.PARAMETER NoLatest
    Do not add the latest tag (registries with immutable tags).
.PARAMETER Help
    Show this help and exit.
.EXAMPLE
    ./build-images.ps1 -Registry localhost:5001 -Tag 1a2b3c4 -NoLatest
#>
[CmdletBinding()]
param(
    [Alias('r')] [string] $Registry = $env:REGISTRY,
    [Alias('t')] [string] $Tag = '',
    [Alias('p')] [string] $Platform = '',
    [switch] $NoLatest,
    [Alias('h')] [switch] $Help
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$ScriptName = 'build-images.ps1'
# Image name and build context (a directory holding a Dockerfile), one pair per image.
$Images = @(
    'k8s-calculator-backend=backend'
    'k8s-calculator-frontend=frontend'
)
$RegistryPattern = '^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]+)?(/[a-z0-9][a-z0-9._-]*)*$'
$TagPattern = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$'
$VersionPattern = '^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$'

function Stop-WithError([string] $Message, [int] $Code = 1) {
    [Console]::Error.WriteLine("${ScriptName}: $Message")
    exit $Code
}

# git's output, or 'unknown' (no git, or not a checkout). Native stderr is silenced with
# the error preference lowered: under Windows PowerShell 5.1 a redirected stderr line
# would otherwise stop the script.
function Get-GitValue([string[]] $GitArgs) {
    $Previous = $ErrorActionPreference
    $ErrorActionPreference = 'Continue'
    try {
        $Value = & git -C $PSScriptRoot @GitArgs 2>$null
        if ($LASTEXITCODE -eq 0 -and $Value) { return "$Value".Trim() }
    } catch {
        # git is not installed.
    } finally {
        $ErrorActionPreference = $Previous
    }
    return 'unknown'
}

function Get-BuildArgs([string] $Name, [string] $Context) {
    $Arguments = @()
    if ($Platform) {
        $Output = if ($Platform.Contains(',')) { '--push' } else { '--load' }
        $Arguments += 'buildx', 'build', '--platform', $Platform, $Output
    } else {
        $Arguments += 'build'
    }
    $Arguments += '--file', (Join-Path $Context 'Dockerfile'), '--tag', "${Name}:$Tag"
    if (-not $NoLatest) { $Arguments += '--tag', "${Name}:latest" }
    $Arguments += '--build-arg', "VERSION=$Version", '--build-arg', "REVISION=$Revision",
        '--build-arg', "SOURCE=$SourceUrl", $Context
    return $Arguments
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
if ($Registry -and $Registry -cnotmatch $RegistryPattern) {
    Stop-WithError "invalid registry '$Registry': expected HOST[:PORT][/PATH], e.g. localhost:5001" 2
}
if ($Tag -cnotmatch $TagPattern) {
    Stop-WithError "invalid tag '$Tag': letters, digits, _ . - (at most 128)" 2
}
if ($Platform.Contains(',') -and -not $Registry) {
    Stop-WithError 'several platforms are pushed as they are built: give -Registry too' 2
}
if (-not (Get-Command $Docker -ErrorAction SilentlyContinue)) {
    Stop-WithError "'$Docker' not found: install Docker (or set DOCKER=podman)"
}
$Revision = Get-GitValue @('rev-parse', '--quiet', '--verify', 'HEAD')
# The origin URL without any user:password@ part.
$SourceUrl = (Get-GitValue @('remote', 'get-url', 'origin')) -replace '^([a-z]+://)[^@/]*@', '$1'
$Prefix = if ($Registry) { "$Registry/" } else { '' }

$Built = @()
foreach ($Entry in $Images) {
    $Image, $Directory = $Entry -split '=', 2
    $Name = "$Prefix$Image"
    Write-Output "${ScriptName}: building ${Name}:$Tag from $Directory/"
    $Arguments = Get-BuildArgs $Name (Join-Path $PSScriptRoot $Directory)
    & $Docker @Arguments
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    $Built += "${Name}:$Tag"
    if (-not $NoLatest) { $Built += "${Name}:latest" }
}
Write-Output "${ScriptName}: built"
foreach ($Ref in $Built) { Write-Output "  $Ref" }
