# PowerShell 7.4 runs on .NET 8, which is not installed here. tests/Net8Host is a self-contained .NET 8
# program (its own runtime from NuGet's runtime pack) that loads the built module's bin/ClutterDR.dll into
# the default context and its engine (bin/lib) into the private context through the module's own
# EngineLoadContext, as Import-Module does, and runs a backup to S3, a listing and a restore against the
# test servers. The negative control loads the same assemblies into the
# default context, as a flat binary module would, and must fail on System.Diagnostics.DiagnosticSource 9.0.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $script:ModuleDir = Split-Path -Parent $env:CLUTTERDR_MODULE_PATH
    $env:CLUTTERDR_NET8HOST_BUCKET = New-TestBucket -Prefix 'n8'
    $script:HostExe = & (Join-Path (Join-Path (Split-Path -Parent $PSScriptRoot) 'Net8Host') 'Build-Net8Host.ps1') -ModuleDir $ModuleDir
}

Describe 'The module on .NET 8 (self-contained test host)' {
    It 'backs up to S3, lists and restores with matching row counts, every module assembly in the private context' {
        $out = & $HostExe isolated $ModuleDir 2>&1
        $code = $LASTEXITCODE
        $text = $out -join "`n"
        $code | Should -Be 0 -Because $text
        $text | Should -Match 'ok: runs on \.NET 8'
        $text | Should -Match 'ok: the restored database has 4321 orders and 87 customers'
        $text | Should -Match 'ok: Npgsql is in the private context only'
        $text | Should -Match 'ok: ClutterDR\.Engine is in the private context only'
        $text | Should -Match 'ok: ClutterDR\.dll \(the cmdlets\) is in the default context only'
        $text | Should -Match 'loaded: System\.Diagnostics\.DiagnosticSource 9\.0\.0\.0 in ClutterDR'
        $text | Should -Not -Match 'FAIL:'
    }

    It 'negative control: the same assemblies in the default context fail on System.Diagnostics.DiagnosticSource 9.0' {
        $out = & $HostExe plain $ModuleDir 2>&1
        $code = $LASTEXITCODE
        $text = $out -join "`n"
        $code | Should -Be 3 -Because $text
        $text | Should -Match "Could not load file or assembly 'System\.Diagnostics\.DiagnosticSource, Version=9\.0\.0\.0"
    }
}
