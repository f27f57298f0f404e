# What a scheduled job sees (pwsh -NonInteractive -File, as cron and Task Scheduler run it): a change that
# needs confirmation says how to go ahead, never PowerShell's "NonInteractive mode" exception.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $script:SourceDb = New-TestDatabase -Prefix 'ni' -Sql "create table t (id int primary key); insert into t select generate_series(1, 5);"
    $script:Folder = New-TestFolder
    $script:Backup = Backup-ClutterDatabase -ConnectionString (Get-TestPgUrl $SourceDb) -Destination $Folder
    $script:Pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
    $script:Job = Join-Path $Folder 'restore-job.ps1'
    Set-Content -LiteralPath $Job -Value @'
param($ModulePath, $Location, $Url)
Import-Module $ModulePath
$ErrorActionPreference = 'Stop'
try {
    Restore-ClutterDatabase -Location $Location -TargetConnectionString $Url -Clean
    'restored'
} catch {
    "id=$($_.FullyQualifiedErrorId)"
    "category=$($_.CategoryInfo.Category)"
    "message=$($_.Exception.Message)"
    exit 3
}
'@
}

Describe 'Restore-ClutterDatabase in a non-interactive session' {
    It 'needs -Confirm:$false: ConfirmationRequired, PermissionDenied, naming -Confirm:$false; the target is unchanged' {
        $target = New-TestDatabase -Prefix 'nit' -Sql "create table t (id int primary key); insert into t values (42);"
        $out = & $Pwsh -NoProfile -NonInteractive -File $Job $env:CLUTTERDR_MODULE_PATH $Backup.Location (Get-TestPgUrl $target) 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 3
        $out | Should -Match 'id=ConfirmationRequired'
        $out | Should -Match 'category=PermissionDenied'
        $out | Should -Match ([regex]::Escape('-Confirm:$false'))
        $out | Should -Not -Match 'failed unexpectedly|PSInvalidOperationException|NonInteractive mode'
        Invoke-TestPsql -Database $target -Command 'select count(*) from t where id = 42' | Should -Be 1
    }

    It 'with -Confirm:$false it restores' {
        $target = New-TestDatabase -Prefix 'nit'
        $script = "Import-Module '$env:CLUTTERDR_MODULE_PATH'; `$ErrorActionPreference = 'Stop'; (Restore-ClutterDatabase -Location '$($Backup.Location)' -TargetConnectionString '$(Get-TestPgUrl $target)' -Confirm:`$false).Verified"
        $out = & $Pwsh -NoProfile -NonInteractive -Command $script 2>&1 | Out-String
        $LASTEXITCODE | Should -Be 0
        $out.Trim() | Should -Be 'True'
    }
}
