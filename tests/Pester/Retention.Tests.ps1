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

Describe 'Remove-ClutterBackup over storage snapshots, and -Prune' {
    BeforeAll {
        # Three snapshots of one folder: 1 = {a, b}, 2 = {b, c}, 3 = {c}; only the first references a's blob.
        function New-Snapshots {
            $src = Join-Path (New-TestFolder) 'media'
            $repo = Join-Path (New-TestFolder) 'snaps'
            $null = New-Item -ItemType Directory $src
            $content = @{ a = 'alpha ' * 300; b = 'bravo ' * 200; c = 'charlie ' * 100 }
            foreach ($set in @('a', 'b'), @('b', 'c'), @('c')) {
                Get-ChildItem $src | Remove-Item
                foreach ($f in $set) { Set-Content -LiteralPath (Join-Path $src "$f.txt") -Value $content[$f] -NoNewline }
                $null = Backup-ClutterStorage $src $repo
            }
            $repo
        }
        function Get-Blobs([string]$Repo) { @(Get-ChildItem -Recurse -File (Join-Path $Repo 'blobs') | ForEach-Object Name | Sort-Object) }
    }
    AfterEach { Remove-Item Env:CLUTTERDR_DEBRIS_MIN_AGE -ErrorAction SilentlyContinue }

    It 'removes piped snapshots but the newest, and -Prune then frees exactly the blobs only they referenced' {
        $repo = New-Snapshots
        $snaps = @(Get-ClutterStorageSnapshot $repo)
        $snaps | Should -HaveCount 3
        $blobs = Get-Blobs $repo
        $blobs | Should -HaveCount 3
        $env:CLUTTERDR_DEBRIS_MIN_AGE = '0s'

        $whatIf = @($snaps[0] | Remove-ClutterBackup -Prune -WhatIf)
        ($whatIf | Where-Object { $_.PSObject.TypeNames[0] -eq 'ClutterDR.RetentionDecision' }).Action | Should -Be 'WouldRemove'
        $prune = $whatIf | Where-Object { $_.PSObject.TypeNames[0] -eq 'ClutterDR.StoragePruneResult' }
        ($prune.WhatIf, $prune.SweptBlobs) | Should -Be @($true, 1)
        @(Get-ClutterStorageSnapshot $repo) | Should -HaveCount 3 -Because '-WhatIf removes nothing'
        Get-Blobs $repo | Should -Be $blobs -Because '-WhatIf sweeps nothing'

        $out = @($snaps[0], $snaps[2] | Remove-ClutterBackup -Prune -ErrorVariable problems -ErrorAction SilentlyContinue)
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -BeLike 'BackupProtected,*'
        $problems[0].TargetObject | Should -Be $snaps[2].Location
        ($out | Where-Object { $_.PSObject.TypeNames[0] -eq 'ClutterDR.RetentionDecision' }).Location | Should -Be $snaps[0].Location
        $prune = $out | Where-Object { $_.PSObject.TypeNames[0] -eq 'ClutterDR.StoragePruneResult' }
        ($prune.Snapshots, $prune.SweptBlobs, $prune.SweptBytes) | Should -Be @(2, 1, 1800)
        (Get-ClutterStorageSnapshot $repo).Location | Should -Be $snaps[1..2].Location
        $left = Get-Blobs $repo
        $left | Should -HaveCount 2
        $left | Should -Not -Contain ((Get-FileHash -InputStream ([IO.MemoryStream]::new([Text.Encoding]::UTF8.GetBytes('alpha ' * 300))) -Algorithm SHA256).Hash.ToLowerInvariant())
        ($prune | Format-Table | Out-String -Width 200) | Should -Match 'Snapshots\s+Referenced\s+Swept\s+Freed\s+Young kept\s+Location'
    }

    It 'applies a policy per snapshot name with -Kind StorageSnapshot; a young blob is never swept' {
        $repo = New-Snapshots
        $out = @(Remove-ClutterBackup $repo -Kind StorageSnapshot -KeepLast 1 -Prune -PassThru)
        @($out | Where-Object { $_.PSObject.Properties['Action'] -and $_.Action -eq 'Removed' }) | Should -HaveCount 2
        ($out | Where-Object { $_.PSObject.Properties['Action'] -and $_.Action -eq 'Kept' }).Reasons | Should -Be @('last 1', 'newest')
        $prune = $out | Where-Object { $_.PSObject.TypeNames[0] -eq 'ClutterDR.StoragePruneResult' }
        ($prune.SweptBlobs, $prune.YoungBlobsKept) | Should -Be @(0, 2) -Because 'blobs written within 24 hours stay'
        Get-Blobs $repo | Should -HaveCount 3
        $env:CLUTTERDR_DEBRIS_MIN_AGE = '0s'
        $prune = Remove-ClutterBackup $repo -Kind StorageSnapshot -Prune
        $prune.SweptBlobs | Should -Be 2
        Get-Blobs $repo | Should -HaveCount 1
    }

    It 'refuses -Prune over database backups (RetentionParameterConflict)' {
        { Remove-ClutterBackup (New-TestFolder) -KeepLast 1 -Prune -ErrorAction Continue } | Should -Throw -ErrorId 'RetentionParameterConflict,*'
    }
}
