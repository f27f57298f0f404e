# The fault-injecting proxy of the tests (tests/FaultProxy, the one the xunit tests use), in this process.
# Dot-source it after _TestHelpers.ps1; Start-TestFaultProxy builds the project when its DLL is missing or
# older than its sources, loads it, and returns a started [ClutterDR.FaultProxy.S3FaultProxy] in front of
# the S3 test server. Rules: $proxy.AddRule([ClutterDR.FaultProxy.FaultRule]@{ Method = 'PUT'; Query = 'partNumber=2&uploadId' });
# counts: $proxy.Count('PUT', 'partNumber=2&uploadId'); die: $proxy.Stop(). Dispose it in AfterAll/finally.
Set-StrictMode -Version 3.0

function Import-TestFaultProxy {
    if ('ClutterDR.FaultProxy.S3FaultProxy' -as [type]) { return }
    $project = Join-Path (Join-Path (Split-Path -Parent $PSScriptRoot) 'FaultProxy') 'FaultProxy.csproj'
    $outDir = Join-Path (Join-Path (Split-Path -Parent (Split-Path -Parent $PSScriptRoot)) 'out') 'faultproxy'
    $dll = Join-Path $outDir 'FaultProxy.dll'
    $newest = Get-ChildItem -LiteralPath (Split-Path -Parent $project) -File | Where-Object Extension -in '.cs', '.csproj' |
        Sort-Object LastWriteTimeUtc -Descending | Select-Object -First 1
    if (-not (Test-Path -LiteralPath $dll) -or (Get-Item -LiteralPath $dll).LastWriteTimeUtc -lt $newest.LastWriteTimeUtc) {
        $out = & dotnet build $project -c Release -o $outDir --nologo 2>&1
        if ($LASTEXITCODE -ne 0) { throw "dotnet build of the fault proxy failed ($LASTEXITCODE): $($out -join [Environment]::NewLine)" }
    }
    Add-Type -LiteralPath $dll
}

function Start-TestFaultProxy([string]$Upstream = $env:CLUTTERDR_TEST_S3_ENDPOINT) {
    Import-TestFaultProxy
    [ClutterDR.FaultProxy.S3FaultProxy]::new($Upstream).Start()
}
