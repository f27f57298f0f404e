<#
.SYNOPSIS
    Builds and tests ClutterDR.

.DESCRIPTION
    -Task Build  dotnet publish the module and lay it out in out/ClutterDR (manifest, format file, LICENSE, help;
                 the cmdlets in bin/ClutterDR.dll, the engine and its dependencies in bin/lib/, loaded into a
                 private AssemblyLoadContext).
    -Task Package  Build; Publish-PSResource out/ClutterDR to a temporary local repository (registered for the
                 call, unregistered after it, on failure too) and leave the package in out/ClutterDR.<version>.nupkg.
    -Task Test   Build and Package; install the .nupkg with Install-PSResource into out/installed; start the
                 test services (tests/TestServices); run xunit (tests/ClutterDR.Tests) and Pester (tests/Pester,
                 in a fresh pwsh, against the installed module; among them the assembly isolation tests, the
                 coexistence with AWSSDK 3.7 and the self-contained .NET 8 host in tests/Net8Host, which
                 Net8Host.Tests.ps1 publishes); stop the services it started; print
                 "N passed, N failed" (xunit + Pester) as the last line; exit non-zero on any failure.
                 With CI=true a test service that cannot start is a failure; otherwise a warning (tests
                 that need it skip).
    -Task Demo   Build; start the services; run tests/Demo/Invoke-Demo.ps1 in a fresh pwsh; stop them.
    -Task Clean  Remove out/ and the projects' bin/ and obj/ folders.

    Run it as: dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test
#>
#Requires -Version 7.2
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Package', 'Test', 'Demo', 'Clean')]
    [string]$Task = 'Build',
    [string]$Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Version 3.0

$RepoRoot = $PSScriptRoot
$OutDir = Join-Path $RepoRoot 'out'
$ModuleOutDir = Join-Path $OutDir 'ClutterDR'
$ModuleManifestOut = Join-Path $ModuleOutDir 'ClutterDR.psd1'
$ModuleBinDir = Join-Path $ModuleOutDir 'bin'
$ModuleProject = Join-Path (Join-Path (Join-Path $RepoRoot 'src') 'ClutterDR') 'ClutterDR.csproj'
$TestProject = Join-Path (Join-Path (Join-Path $RepoRoot 'tests') 'ClutterDR.Tests') 'ClutterDR.Tests.csproj'
$TestServicesDir = Join-Path (Join-Path $RepoRoot 'tests') 'TestServices'
$PesterDir = Join-Path (Join-Path $RepoRoot 'tests') 'Pester'
$InCI = $env:CI -in @('true', 'True', 'TRUE', '1')

if ([Console]::IsOutputRedirected) { $PSStyle.OutputRendering = 'PlainText' }   # no ANSI codes in CI logs
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'

function Write-Step([string]$Message) { Write-Host "==> $Message" -ForegroundColor Cyan }

function Invoke-Dotnet {
    param([Parameter(Mandatory)] [string[]]$Arguments)
    & dotnet @Arguments | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($Arguments[0]) failed with exit code $LASTEXITCODE (dotnet $($Arguments -join ' '))" }
}

function Invoke-FreshPwsh {
    # Runs a script in a new PowerShell process (a binary module cannot be re-imported after a rebuild).
    # Returns the exit code. Uses the running pwsh executable, or `dotnet pwsh` (the repo's local tool).
    param([Parameter(Mandatory)] [string]$File, [string[]]$Arguments = @(), [string]$LogPath)
    $exe = [Environment]::ProcessPath
    $argv = @('-NoProfile', '-NonInteractive', '-File', $File) + $Arguments
    if ([IO.Path]::GetFileNameWithoutExtension($exe) -ne 'pwsh') {
        $exe = 'dotnet'
        $argv = @('pwsh') + $argv
    }
    Push-Location -LiteralPath $RepoRoot   # `dotnet pwsh` finds the tool manifest from the current folder
    try {
        if ($LogPath) { & $exe @argv | Tee-Object -FilePath $LogPath -Append | Out-Host }
        else { & $exe @argv | Out-Host }   # its output to the console, not into our return value
        return $LASTEXITCODE
    } finally {
        Pop-Location
    }
}

# ------------------------------------------------------------------------------------------------- Build
function Get-ModuleVersion {
    # ModuleVersion of ClutterDR.psd1, with PSData.Prerelease appended as a SemVer suffix when there is one.
    param([Parameter(Mandatory)] [string]$ManifestPath)
    $data = Import-PowerShellDataFile -LiteralPath $ManifestPath
    $version = [string]$data.ModuleVersion
    if (-not ($version -as [version])) { throw "'$ManifestPath' has no usable ModuleVersion ('$version')." }
    $pre = if ($data.ContainsKey('PrivateData') -and $data.PrivateData -is [hashtable] -and $data.PrivateData.ContainsKey('PSData')) { $data.PrivateData.PSData['Prerelease'] }
    if ($pre) { $version += "-$pre" }
    $version
}

function Invoke-BuildTask {
    # Lays out the module:
    #   out/ClutterDR/ClutterDR.psd1, ClutterDR.Format.ps1xml, LICENSE, en-US/ (help)
    #   out/ClutterDR/bin/ClutterDR.dll      the cmdlets (RootModule): the only assembly in PowerShell's default context
    #   out/ClutterDR/bin/lib/               ClutterDR.Engine.dll + every dependency DLL publish produced: the private
    #                                        load context loads whatever DLL is in lib/, so a new package needs no change here
    $sw = [Diagnostics.Stopwatch]::StartNew()
    $manifest = Join-Path $RepoRoot 'ClutterDR.psd1'
    foreach ($f in @($manifest)) {
        if (-not (Test-Path -LiteralPath $f -PathType Leaf)) {
            throw "'$f' is missing: the build lays out out/ClutterDR from it. Restore it from git."
        }
    }
    $publishDir = Join-Path ([IO.Path]::GetTempPath()) ('clutterdr-publish-' + [guid]::NewGuid().ToString('N').Substring(0, 10))
    try {
        # ClutterDR.psd1 is the one place the version lives: every assembly and every manifest's "tool" carry it.
        $version = Get-ModuleVersion -ManifestPath $manifest
        Write-Step "dotnet publish ($Configuration, version $version)"
        Invoke-Dotnet @('publish', $ModuleProject, '-c', $Configuration, '-o', $publishDir, '--nologo', "-p:Version=$version")

        if (Test-Path -LiteralPath $ModuleOutDir) { Remove-Item -LiteralPath $ModuleOutDir -Recurse -Force }
        $libDir = Join-Path $ModuleBinDir 'lib'
        $null = New-Item -ItemType Directory -Path $libDir -Force

        Copy-Item -LiteralPath $manifest -Destination $ModuleOutDir
        Copy-Item -LiteralPath (Join-Path $RepoRoot 'LICENSE') -Destination $ModuleOutDir
        $format = Join-Path (Split-Path -Parent $ModuleProject) 'ClutterDR.Format.ps1xml'
        if (Test-Path -LiteralPath $format) { Copy-Item -LiteralPath $format -Destination $ModuleOutDir }

        # The cmdlet assembly in bin/; every other assembly the module needs in bin/lib/, where only the private
        # context looks (PowerShell's and LoadFrom's probing look beside ClutterDR.dll, so nothing there can
        # load into the default context by accident). Never System.Management.Automation: the host brings its
        # own; PowerShellStandard.Library's reference assembly must not ship.
        Copy-Item -LiteralPath (Join-Path $publishDir 'ClutterDR.dll') -Destination $ModuleBinDir
        Get-ChildItem -LiteralPath $publishDir -Filter '*.dll' -File |
            Where-Object Name -NotIn 'System.Management.Automation.dll', 'ClutterDR.dll' |
            Copy-Item -Destination $libDir
        # Subfolders publish makes: runtimes/ (native assets of RID-specific packages) and culture folders of
        # satellite resource assemblies; the load context looks in both.
        Get-ChildItem -LiteralPath $publishDir -Directory | Copy-Item -Destination $libDir -Recurse
    } finally {
        if (Test-Path -LiteralPath $publishDir) { Remove-Item -LiteralPath $publishDir -Recurse -Force -ErrorAction SilentlyContinue }
    }
    foreach ($dll in 'ClutterDR.dll', 'lib/ClutterDR.Engine.dll') {
        if (-not (Test-Path -LiteralPath (Join-Path $ModuleBinDir $dll))) { throw "Build produced no bin/$dll." }
    }

    # Help: docs/<culture>/*.md (platyPS markdown) -> <module>/<culture>/ClutterDR.dll-Help.xml (MAML, named after
    # the cmdlet assembly, as Get-Help looks it up) and about_*.help.txt. Module root, so Get-Help finds it
    # under the module base whatever folder the cmdlet assembly is loaded from.
    Import-Module (Join-Path (Join-Path $RepoRoot 'tools') 'HelpConverter.psm1') -Force
    foreach ($cultureDir in Get-ChildItem -LiteralPath (Join-Path $RepoRoot 'docs') -Directory) {
        $null = Build-ModuleHelp -SourcePath $cultureDir.FullName -DestinationPath (Join-Path $ModuleOutDir $cultureDir.Name) -MamlFileName 'ClutterDR.dll-Help.xml'
    }
    Write-Step ("module laid out in {0} ({1:N1} s)" -f $ModuleOutDir, $sw.Elapsed.TotalSeconds)
}

# ------------------------------------------------------------------------------------------------- Package
function Invoke-PackageTask {
    # Publishes out/ClutterDR as PowerShell Gallery would receive it, into a local file repository that exists
    # only for this call. Returns the path of out/ClutterDR.<version>.nupkg.
    $sw = [Diagnostics.Stopwatch]::StartNew()
    Get-ChildItem -LiteralPath $OutDir -Filter 'ClutterDR.*.nupkg' -File -ErrorAction SilentlyContinue | Remove-Item -Force
    $id = [guid]::NewGuid().ToString('N').Substring(0, 10)
    $repoName = "ClutterDR-build-$id"
    $repoDir = Join-Path ([IO.Path]::GetTempPath()) "clutterdr-repo-$id"
    $null = New-Item -ItemType Directory -Path $repoDir -Force
    Register-PSResourceRepository -Name $repoName -Uri $repoDir -Trusted
    try {
        Publish-PSResource -Path $ModuleOutDir -Repository $repoName
        $nupkg = @(Get-ChildItem -LiteralPath $repoDir -Filter '*.nupkg' -File)
        if ($nupkg.Count -ne 1) { throw "Publish-PSResource left $($nupkg.Count) packages in '$repoDir', expected one." }
        $target = Join-Path $OutDir $nupkg[0].Name
        Move-Item -LiteralPath $nupkg[0].FullName -Destination $target -Force
    } finally {
        Unregister-PSResourceRepository -Name $repoName -ErrorAction SilentlyContinue
        Remove-Item -LiteralPath $repoDir -Recurse -Force -ErrorAction SilentlyContinue
    }
    Write-Step ("package {0} ({1:N0} KB, {2:N1} s)" -f $target, ((Get-Item -LiteralPath $target).Length / 1KB), $sw.Elapsed.TotalSeconds)
    $target
}

# ------------------------------------------------------------------------------------------------- services
function Start-TestServicesForRun {
    # Starts (or reuses) each service on its own, so outside CI one that fails does not keep the other
    # from running. Returns what was started: Started (names) and StatePath, for Stop-TestServicesForRun.
    $started = [pscustomobject]@{ Started = @(); StatePath = $null }
    foreach ($name in @('Postgres', 'S3', 'S3rver', 'Supabase')) {
        try {
            $r = & (Join-Path $TestServicesDir 'Start-TestServices.ps1') -Only $name
            $started.Started += @($r.Started)
            $started.StatePath = $r.StatePath
        } catch {
            if ($InCI) {
                Stop-TestServicesForRun $started
                throw "Test service $name failed to start (CI=true, so this fails the run): $_"
            }
            Write-Warning "Test service $name failed to start; tests that need it will skip. $_"
        }
    }
    return $started
}

function Stop-TestServicesForRun($Services) {
    if (-not $Services -or -not $Services.Started) { return }
    try {
        & (Join-Path $TestServicesDir 'Stop-TestServices.ps1') -Only $Services.Started -StatePath $Services.StatePath
    } catch {
        Write-Warning "Stopping the test services failed: $_"
    }
}

# ------------------------------------------------------------------------------------------------- Test
function Read-TrxCounts([string]$Path) {
    if (-not (Test-Path -LiteralPath $Path)) { return $null }
    [xml]$trx = Get-Content -LiteralPath $Path -Raw
    $c = $trx.TestRun.ResultSummary.Counters
    [pscustomobject]@{
        Passed  = [int]$c.passed
        Failed  = [int]$c.failed + [int]$c.error + [int]$c.timeout + [int]$c.aborted
        # xunit's skipped tests are NotExecuted results, but the notExecuted counter stays 0.
        Skipped = [Math]::Max([int]$c.notExecuted, [int]$c.total - [int]$c.executed)
    }
}

function Invoke-TestTask {
    $swAll = [Diagnostics.Stopwatch]::StartNew()
    $resultsDir = Join-Path $OutDir 'test-results'
    $trx = Join-Path $resultsDir 'xunit.trx'
    $pesterXml = Join-Path $OutDir 'pester-results.xml'
    $pesterSummary = Join-Path $OutDir 'pester-summary.json'
    $testLog = Join-Path $OutDir 'test-output.log'
    $x = [pscustomobject]@{ Passed = 0; Failed = 0; Skipped = 0; Exit = $null }
    $p = [pscustomobject]@{ Passed = 0; Failed = 0; Skipped = 0; Exit = $null }
    $services = $null
    $runError = $null

    try {
        Invoke-BuildTask
        # The Pester suite runs against the module as an admin gets it: packed, then installed with
        # Install-PSResource into an empty module path (out/installed), not against out/ClutterDR.
        $nupkg = Invoke-PackageTask
        $installRoot = Join-Path $OutDir 'installed'
        if (Test-Path -LiteralPath $installRoot) { Remove-Item -LiteralPath $installRoot -Recurse -Force }
        $installed = & (Join-Path $PesterDir '_Install-ClutterPackage.ps1') -PackagePath $nupkg -Root $installRoot
        Write-Step "installed with Install-PSResource: $($installed.ManifestPath)"
        foreach ($f in @($trx, $pesterXml, $pesterSummary, $testLog)) { if (Test-Path -LiteralPath $f) { Remove-Item -LiteralPath $f -Force } }

        Write-Step 'starting test services'
        $services = Start-TestServicesForRun

        Write-Step 'xunit: dotnet test'
        $sw = [Diagnostics.Stopwatch]::StartNew()
        & dotnet test $TestProject -c $Configuration --nologo --logger 'trx;LogFileName=xunit.trx' --results-directory $resultsDir |
            Tee-Object -FilePath $testLog -Append | Out-Host
        $x.Exit = $LASTEXITCODE
        $counts = Read-TrxCounts $trx
        if ($counts) { $x.Passed = $counts.Passed; $x.Failed = $counts.Failed; $x.Skipped = $counts.Skipped }
        # A build error or a crashed test host fails the run even when no test result says "failed".
        if ($x.Exit -ne 0 -and $x.Failed -eq 0) { $x.Failed = 1 }
        Write-Step ("xunit: {0} passed, {1} failed, {2} skipped, exit {3} ({4:N1} s)" -f $x.Passed, $x.Failed, $x.Skipped, $x.Exit, $sw.Elapsed.TotalSeconds)

        Write-Step 'Pester (fresh pwsh)'
        $sw.Restart()
        $pesterPsd1 = & (Join-Path $PesterDir '_Install-Pester.ps1')
        $env:CLUTTERDR_EXPECT_INSTALLED = '1'   # Package.Tests.ps1 checks that the suite runs on the installed layout
        $p.Exit = Invoke-FreshPwsh -File (Join-Path $PesterDir '_Run-Pester.ps1') -Arguments @(
            '-ModulePath', $installed.ManifestPath, '-PackagePath', $nupkg, '-PesterPath', $pesterPsd1, '-TestPath', $PesterDir,
            '-ResultPath', $pesterXml, '-SummaryPath', $pesterSummary) -LogPath $testLog
        if (Test-Path -LiteralPath $pesterSummary) {
            $s = Get-Content -LiteralPath $pesterSummary -Raw | ConvertFrom-Json
            $p.Passed = [int]$s.Passed; $p.Failed = [int]$s.Failed; $p.Skipped = [int]$s.Skipped + [int]$s.NotRun
        }
        if ($p.Exit -ne 0 -and $p.Failed -eq 0) { $p.Failed = 1 }
        # No expected situation may reach the user as "ClutterDR failed unexpectedly": any in the suite's output fails the run.
        $unexpected = @(Select-String -LiteralPath $testLog -Pattern 'ClutterDR failed unexpectedly' -SimpleMatch -ErrorAction SilentlyContinue)
        if ($unexpected.Count -gt 0) {
            Write-Host "The test output holds $($unexpected.Count) 'ClutterDR failed unexpectedly' line(s); each needs its own ErrorId:" -ForegroundColor Red
            $unexpected | Select-Object -First 10 | ForEach-Object { Write-Host "  $($_.Line.Trim())" }
            $p.Failed += $unexpected.Count
        }
        Write-Step ("Pester: {0} passed, {1} failed, {2} skipped, exit {3} ({4:N1} s)" -f $p.Passed, $p.Failed, $p.Skipped, $p.Exit, $sw.Elapsed.TotalSeconds)
    } catch {
        $runError = $_
    } finally {
        if ($services -and $services.Started) { Write-Step 'stopping test services' }
        Stop-TestServicesForRun $services
    }

    $passed = $x.Passed + $p.Passed
    $failed = $x.Failed + $p.Failed
    if ($runError) {
        Write-Host "Test run aborted: $runError" -ForegroundColor Red
        if ($runError.ScriptStackTrace) { Write-Host $runError.ScriptStackTrace }
        $failed = [Math]::Max($failed, 1)
    }
    Write-Step ("test run took {0:N1} s; xunit {1}/{2}/{3}, Pester {4}/{5}/{6} (passed/failed/skipped)" -f
        $swAll.Elapsed.TotalSeconds, $x.Passed, $x.Failed, $x.Skipped, $p.Passed, $p.Failed, $p.Skipped)
    # The closing line CI reads: keep it exactly "N passed, N failed" and last.
    Write-Host "$passed passed, $failed failed"
    if ($failed -gt 0) { exit 1 }
    exit 0
}

# ------------------------------------------------------------------------------------------------- Demo
function Invoke-Demo {
    Invoke-BuildTask
    $demo = Join-Path (Join-Path (Join-Path $RepoRoot 'tests') 'Demo') 'Invoke-Demo.ps1'
    if (-not (Test-Path -LiteralPath $demo)) { throw "Demo script '$demo' does not exist yet." }
    $services = Start-TestServicesForRun
    try {
        $env:CLUTTERDR_MODULE_PATH = $ModuleManifestOut
        $code = Invoke-FreshPwsh -File $demo
        if ($code -ne 0) { throw "Demo failed with exit code $code." }
    } finally {
        Stop-TestServicesForRun $services
    }
}

# ------------------------------------------------------------------------------------------------- Clean
function Invoke-CleanTask {
    if (Test-Path -LiteralPath $OutDir) { Remove-Item -LiteralPath $OutDir -Recurse -Force }
    foreach ($root in @('src', 'tests', 'bench')) {
        $dir = Join-Path $RepoRoot $root
        if (-not (Test-Path -LiteralPath $dir)) { continue }
        Get-ChildItem -LiteralPath $dir -Recurse -File -Filter '*.csproj' |
            Where-Object FullName -NotMatch 'node_modules' |
            ForEach-Object {
                foreach ($sub in @('bin', 'obj', 'TestResults')) {
                    $target = Join-Path $_.DirectoryName $sub
                    if (Test-Path -LiteralPath $target) { Remove-Item -LiteralPath $target -Recurse -Force }
                }
            }
    }
    Write-Step 'clean'
}

switch ($Task) {
    'Build' { Invoke-BuildTask }
    'Package' { Invoke-BuildTask; $null = Invoke-PackageTask }
    'Test' { Invoke-TestTask }
    'Demo' { Invoke-Demo }
    'Clean' { Invoke-CleanTask }
}
