# The module as the PowerShell Gallery gets it: a manifest that Test-ModuleManifest accepts, a .nupkg from
# build.ps1 -Task Package that Install-PSResource installs into an empty module path, and a fresh pwsh that
# imports it by name and runs a cmdlet against a real backup.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $repoRoot = Split-Path -Parent (Split-Path -Parent $PSScriptRoot)
    $script:Package = if ($env:CLUTTERDR_PACKAGE_PATH) { $env:CLUTTERDR_PACKAGE_PATH }
                      else { Get-ChildItem -LiteralPath (Join-Path $repoRoot 'out') -Filter 'ClutterDR.*.nupkg' -File -ErrorAction SilentlyContinue |
                             Sort-Object LastWriteTime -Descending | Select-Object -First 1 -ExpandProperty FullName }
    if (-not $Package -or -not (Test-Path -LiteralPath $Package)) {
        throw "No ClutterDR .nupkg found: run 'dotnet pwsh ./build.ps1 -Task Package' (or -Task Test, which packages first)."
    }
    $script:Module = Get-Module ClutterDR
    $script:Pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
}

Describe 'Module manifest' {
    It 'passes Test-ModuleManifest and carries what the Gallery shows' {
        $m = Test-ModuleManifest -Path (Join-Path $Module.ModuleBase 'ClutterDR.psd1') -ErrorAction Stop
        $m.Guid | Should -Not -Be ([guid]::Empty)
        $m.Author | Should -Not -BeNullOrEmpty
        $m.CompanyName | Should -Not -BeNullOrEmpty
        $m.Copyright | Should -Match 'MIT'
        $m.Description.Length | Should -BeGreaterThan 50
        $m.PowerShellVersion | Should -Be ([version]'7.4')
        $m.CompatiblePSEditions | Should -Be @('Core')
        $m.PrivateData.PSData.Tags | Should -Contain 'PostgreSQL'
        $m.PrivateData.PSData.LicenseUri | Should -Match '^https://'
        $m.PrivateData.PSData.ProjectUri | Should -Match '^https://'
        $m.PrivateData.PSData.ReleaseNotes | Should -Not -BeNullOrEmpty
        $data = Import-PowerShellDataFile -LiteralPath (Join-Path $Module.ModuleBase 'ClutterDR.psd1')
        $data.FormatsToProcess | Should -Be @('ClutterDR.Format.ps1xml')
    }

    It 'exports exactly the cmdlets the module implements, listed by name (no wildcards)' {
        $data = Import-PowerShellDataFile -LiteralPath (Join-Path $Module.ModuleBase 'ClutterDR.psd1')
        $data.CmdletsToExport | Should -Not -Contain '*'
        $assembly = (Get-Command -Module ClutterDR -CommandType Cmdlet | Select-Object -First 1).ImplementingType.Assembly
        $implemented = @($assembly.GetExportedTypes() | ForEach-Object {
                $a = $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)
                if ($a) { "$($a[0].VerbName)-$($a[0].NounName)" } } | Sort-Object)
        @($data.CmdletsToExport | Sort-Object) | Should -Be $implemented
        @($Module.ExportedCmdlets.Keys | Sort-Object) | Should -Be $implemented
    }

    It 'ships the MIT LICENSE' {
        Get-Content -Raw -LiteralPath (Join-Path $Module.ModuleBase 'LICENSE') | Should -Match 'MIT License'
    }
}

Describe 'The .nupkg' {
    It 'holds the manifest, license, views, help and the cmdlet assembly, and no PowerShell assemblies' {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead($Package)
        try {
            $entries = @($zip.Entries.FullName)
            $nuspecEntry = $zip.Entries | Where-Object FullName -Like '*.nuspec'
            $reader = [IO.StreamReader]::new($nuspecEntry.Open())
            try { [xml]$nuspec = $reader.ReadToEnd() } finally { $reader.Dispose() }
        } finally { $zip.Dispose() }
        foreach ($e in 'ClutterDR.psd1', 'LICENSE', 'ClutterDR.Format.ps1xml', 'en-US/ClutterDR.dll-Help.xml', 'en-US/about_ClutterDR.help.txt') {
            $entries | Should -Contain $e
        }
        @($entries | Where-Object { $_ -match '(^|/)ClutterDR\.dll$' }).Count | Should -Be 1
        $entries | Where-Object { $_ -match 'System\.Management\.Automation\.dll$' } | Should -BeNullOrEmpty
        $version = (Import-PowerShellDataFile -LiteralPath (Join-Path $Module.ModuleBase 'ClutterDR.psd1')).ModuleVersion
        $nuspec.package.metadata.id | Should -Be 'ClutterDR'
        $nuspec.package.metadata.version | Should -Be $version
        $nuspec.package.metadata.tags | Should -Match 'PostgreSQL'
        $nuspec.package.metadata.projectUrl | Should -Match '^https://'
    }
}

Describe 'Install-PSResource, then Import-Module by name' {
    BeforeAll {
        $script:Root = New-TestFolder
        $script:Db = New-TestDatabase -Prefix 'pkg' -Sql 'create table t (id int); insert into t select generate_series(1, 500)'
        $script:Backups = Join-Path $Root 'backups'
        $script:Made = Backup-ClutterDatabase -ConnectionString (Get-TestPgUrl $Db) -Destination $Backups
    }

    AfterAll {
        Remove-Item -Recurse -Force $Root -ErrorAction SilentlyContinue
    }

    It 'installs into an empty module path, imports by name in a fresh pwsh and lists a real backup' {
        $installed = & (Join-Path $PSScriptRoot '_Install-ClutterPackage.ps1') -PackagePath $Package -Root (Join-Path $Root 'install')
        $installed.ManifestPath | Should -BeLike "$($installed.ModulePath)*ClutterDR*ClutterDR.psd1"

        $probe = @'
$ErrorActionPreference = 'Stop'
Import-Module ClutterDR
$m = Get-Module ClutterDR
$b = Get-ClutterBackup -Location $args[0] -Latest
[pscustomobject]@{
    Base     = $m.ModuleBase
    Database = $b.Database
    Rows     = $b.Tables[0].Rows
    Synopsis = (Get-Help Get-ClutterBackup).Synopsis
    Table    = $b | Format-Table | Out-String -Width 300
} | ConvertTo-Json -Compress
'@
        $probeFile = Join-Path $Root 'probe.ps1'
        Set-Content -LiteralPath $probeFile -Value $probe -Encoding utf8NoBOM
        $saved = @{ PSModulePath = $env:PSModulePath; HOME = $env:HOME }
        try {
            # Only the empty install path and PowerShell's own modules: the module must come from the package.
            $env:PSModulePath = $installed.ModulePath + [IO.Path]::PathSeparator + (Join-Path $PSHOME 'Modules')
            $env:HOME = $installed.HomePath
            $json = & $Pwsh -NoProfile -NonInteractive -File $probeFile $Backups 2>&1
            $exit = $LASTEXITCODE
        } finally {
            foreach ($k in $saved.Keys) { [Environment]::SetEnvironmentVariable($k, $saved[$k]) }
        }
        $exit | Should -Be 0 -Because ($json -join "`n")
        $r = ($json -join "`n") | ConvertFrom-Json
        $r.Base | Should -BeLike "$($installed.ModulePath)*"
        $r.Database | Should -Be $Db
        $r.Rows | Should -Be 500
        $r.Synopsis | Should -Match 'backups'
        $r.Table | Should -Match "$Db\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+\S+\s+\d+(\.\d)? KB"
    }

    It 'is what this test run imports, when build.ps1 -Task Test runs it (not out/ClutterDR)' {
        if ($env:CLUTTERDR_EXPECT_INSTALLED -ne '1') {
            # Run by hand against out/ClutterDR: nothing to check beyond the module being loaded from a manifest.
            $Module.Path | Should -Not -BeNullOrEmpty
            return
        }
        $Module.ModuleBase | Should -Not -Match ([regex]::Escape([IO.Path]::Combine('out', 'ClutterDR')) + '$')
        Split-Path -Leaf $Module.ModuleBase | Should -Be "$($Module.Version)"
        Test-Path -LiteralPath (Join-Path $Module.ModuleBase 'PSGetModuleInfo.xml') | Should -BeTrue -Because 'Install-PSResource leaves it in what it installs'
    }
}
