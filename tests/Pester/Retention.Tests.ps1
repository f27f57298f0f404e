# Remove-ClutterBackup and Set-ClutterBackup as an admin runs them, over real backups of a real database in a folder:
# pins, -WhatIf, a policy with -PassThru and its table view, the floor for piped backups, a policy without a rule,
# and a non-interactive run (ConfirmImpact Medium never asks).
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $script:Pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
    $script:Db = New-TestDatabase -Prefix 'ret' -Sql 'create table items as select g from generate_series(1, 100) g'
    function New-Backups([int]$Count) {
        $folder = New-TestFolder
        foreach ($i in 1..$Count) { $null = Backup-ClutterDatabase (Get-TestPgUrl $Db) $folder }
        $folder
    }
}

Describe 'Set-ClutterBackup -Pinned and Remove-ClutterBackup' {
    It 'pins a backup, and a policy then keeps the newest and the pinned one' {
        $folder = New-Backups 3
        $all = @(Get-ClutterBackup $folder)
        $all | Should -HaveCount 3
        $oldest = $all[-1]
        $pinned = $oldest | Set-ClutterBackup -Pinned $true -PassThru
        $pinned.Pinned | Should -BeTrue
        Test-Path -LiteralPath "$($oldest.Location).pinned" | Should -BeTrue
        @(Get-ClutterBackup $folder) | Should -HaveCount 3 -Because 'the pin sidecar is no backup'
        @(Get-ClutterBackup $folder | Where-Object Pinned).Location | Should -Be $oldest.Location

        $whatIf = @(Remove-ClutterBackup $folder -KeepLast 1 -WhatIf)
        @(Get-ClutterBackup $folder) | Should -HaveCount 3 -Because '-WhatIf deletes nothing'
        ($whatIf | Where-Object Action -EQ 'WouldRemove').Location | Should -Be $all[1].Location
        @($whatIf | Where-Object Action -EQ 'Kept') | Should -HaveCount 2

        $out = @(Remove-ClutterBackup $folder -KeepLast 1 -PassThru)
        $out | Should -HaveCount 3
        ($out | Where-Object Action -EQ 'Removed').Location | Should -Be $all[1].Location
        ($out | Where-Object Location -EQ $all[0].Location).Reasons | Should -Be @('last 1', 'newest')
        ($out | Where-Object Location -EQ $oldest.Location).Reasons | Should -Be @('pinned')
        @(Get-ClutterBackup $folder).Location | Should -Be @($all[0].Location, $oldest.Location)
        Test-Path -LiteralPath $all[1].Location | Should -BeFalse
        $table = $out | Format-Table | Out-String -Width 300
        $table | Should -Match 'Action\s+Database\s+Created \(UTC\)\s+Reasons\s+Location'
        $table | Should -Match 'Kept\s+\S+\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+last 1, newest'
    }

    It 'refuses a piped newest backup (BackupProtected) and removes an older one' {
        $folder = New-Backups 2
        $all = @(Get-ClutterBackup $folder)
        $removed = @($all | Remove-ClutterBackup -ErrorVariable problems -ErrorAction SilentlyContinue)
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'BackupProtected,*'
        $problems[0].TargetObject | Should -Be $all[0].Location
        $problems[0].Exception.Message | Should -Match 'newest'
        $removed.Location | Should -Be $all[1].Location
        @(Get-ClutterBackup $folder).Location | Should -Be $all[0].Location
    }

    It 'stops on a policy without any rule (RetentionKeepsNothing) and removes nothing' {
        $folder = New-Backups 2
        { Remove-ClutterBackup $folder -KeepDaily 0 -ErrorAction Continue } | Should -Throw -ErrorId 'RetentionKeepsNothing,*'
        @(Get-ClutterBackup $folder) | Should -HaveCount 2
    }

    It 'runs from pwsh -NonInteractive -File without asking, as cron runs it' {
        $folder = New-Backups 2
        $script = Join-Path (New-TestFolder) 'retention.ps1'
        Set-Content -LiteralPath $script -Value @"
`$ErrorActionPreference = 'Stop'
Import-Module '$env:CLUTTERDR_MODULE_PATH'
Remove-ClutterBackup '$folder' -KeepWithin '90d' -KeepLast 1 | Out-Null
Remove-ClutterBackup '$folder' -KeepLast 1 | ForEach-Object { "removed `$(`$_.Location)" }
"@
        $output = & $Pwsh -NoProfile -NonInteractive -File $script 2>&1
        $LASTEXITCODE | Should -Be 0 -Because "$output"
        @($output | Where-Object { "$_" -like 'removed *' }) | Should -HaveCount 1
        @(Get-ClutterBackup $folder) | Should -HaveCount 1
    }
}
