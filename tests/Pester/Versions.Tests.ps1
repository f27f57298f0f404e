# One version: the installed module's ModuleVersion (from ClutterDR.psd1) is what every assembly carries and what
# every new backup's manifest records as its "tool", never the SDK's default 1.0.0.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $script:Module = Get-Module ClutterDR
    $script:Version = $Module.Version
}

Describe 'Versions agree' {
    It 'the module imported is a built or installed one, with a version of its own' {
        $Module | Should -Not -BeNullOrEmpty
        $Module.ModuleBase | Should -Be (Split-Path -Parent $env:CLUTTERDR_MODULE_PATH)
        $Version | Should -Not -Be ([version]'1.0.0') -Because 'ClutterDR.psd1 says 0.x; 1.0.0 is what the SDK would make up'
    }

    It 'ClutterDR.dll and every ClutterDR.*.dll carry the module version (file, assembly and product version)' {
        $dlls = @(Get-ChildItem -LiteralPath $Module.ModuleBase -Recurse -Filter 'ClutterDR*.dll' -File)
        $dlls.Name | Should -Contain 'ClutterDR.dll'
        $dlls.Name | Should -Contain 'ClutterDR.Engine.dll'
        foreach ($dll in $dlls) {
            $info = [Diagnostics.FileVersionInfo]::GetVersionInfo($dll.FullName)
            [version]$info.FileVersion | Should -Be ([version]"$Version.0") -Because "$($dll.Name)'s file version"
            ($info.ProductVersion -split '\+')[0] | Should -Be "$Version" -Because "$($dll.Name)'s product version"
            [Reflection.AssemblyName]::GetAssemblyName($dll.FullName).Version | Should -Be ([version]"$Version.0") -Because "$($dll.Name)'s assembly version"
        }
    }

    It 'a new backup''s manifest records "ClutterDR" and the module version as its tool' {
        $db = New-TestDatabase -Prefix 'ver' -Sql 'create table t (id int primary key); insert into t values (1)'
        $folder = New-TestFolder
        try {
            $b = Backup-ClutterDatabase -ConnectionString (Get-TestPgUrl $db) -Destination $folder
            $manifest = Get-Content -Raw -LiteralPath $b.ManifestLocation | ConvertFrom-Json
            $manifest.tool | Should -Be "ClutterDR $Version"
        }
        finally { Remove-Item -Recurse -Force $folder -ErrorAction SilentlyContinue }
    }
}
