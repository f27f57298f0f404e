# Views (ClutterDR.Format.ps1xml): every type the cmdlets output has one, and the tables and lists of real
# objects from real cmdlets (PostgreSQL, S3, a folder) show names, times, ages as "3h 12m", sizes as "1.4 KB"
# and a status.
BeforeDiscovery {
    Import-Module $env:CLUTTERDR_MODULE_PATH
    # The output types of every exported cmdlet ([OutputType]) and the module's own types they hold in their
    # properties (BackupInfo.Tables -> TableRowCount ...): a new cmdlet's types are found here without a list.
    $cmdlets = @(Get-Command -Module ClutterDR -CommandType Cmdlet)
    # The module's own assemblies: the cmdlets' (ClutterDR) and the engine's (ClutterDR.Engine), where the output types are.
    $isOurs = { param($t) $t.Assembly.GetName().Name -in 'ClutterDR', 'ClutterDR.Engine' }
    $found = [Collections.Generic.HashSet[type]]::new()
    $queue = [Collections.Generic.Queue[type]]::new()
    foreach ($t in $cmdlets.OutputType.Type) { if ($t -and (& $isOurs $t)) { $queue.Enqueue($t) } }
    while ($queue.Count) {
        $t = $queue.Dequeue()
        if (-not $found.Add($t)) { continue }
        foreach ($p in $t.GetProperties()) {
            $pt = if ($p.PropertyType.IsArray) { $p.PropertyType.GetElementType() } else { $p.PropertyType }
            if ((& $isOurs $pt) -and $pt.IsClass -and $pt.IsPublic) { $queue.Enqueue($pt) }
        }
    }
    $script:OutputTypes = @($found | Sort-Object FullName | ForEach-Object { @{ TypeName = $_.FullName } })
}

BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $script:Db = New-TestDatabase -Prefix 'fmt' -Sql 'create table items (id int primary key, name text); insert into items select g, md5(g::text) from generate_series(1, 1000) g'
    $script:Url = Get-TestPgUrl $Db
    $script:Bucket = New-TestBucket -Prefix 'fmt'
    $script:Folder = New-TestFolder
    $PSDefaultParameterValues = @{ '*-Clutter*:EndpointUrl' = $S3Endpoint }
    $script:Backup = Backup-ClutterDatabase -ConnectionString $Url -Destination "s3://$Bucket/db"
    $script:Table = { param($o) $o | Format-Table | Out-String -Width 300 }
    $script:List = { param($o) $o | Format-List | Out-String -Width 300 }
    $script:Stamp = '\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ'
}

AfterAll {
    Remove-Item -Recurse -Force $Folder -ErrorAction SilentlyContinue
}

Describe 'Every output type has a view' {
    It 'finds the output types by reflection (at least BackupInfo, BackupAgeResult, RestoreResult)' {
        $OutputTypes.TypeName | Should -Contain 'ClutterDR.BackupInfo'
        $OutputTypes.TypeName | Should -Contain 'ClutterDR.BackupAgeResult'
        $OutputTypes.TypeName | Should -Contain 'ClutterDR.RestoreResult'
        $OutputTypes.TypeName | Should -Contain 'ClutterDR.TableRowCount'
    }

    It '<TypeName> has a table view' -ForEach $OutputTypes {
        $views = @((Get-FormatData -TypeName $TypeName).FormatViewDefinition)
        $views.Count | Should -BeGreaterThan 0 -Because "every output type needs a view in ClutterDR.Format.ps1xml"
        @($views | Where-Object { $_.Control -is [System.Management.Automation.TableControl] }).Count | Should -Be 1
    }

    It 'reaches the module''s types through the object, never by a [ClutterDR...] type literal' {
        # PowerShell does not resolve type names from an assembly in a module's own AssemblyLoadContext.
        $file = Join-Path (Get-Module ClutterDR).ModuleBase 'ClutterDR.Format.ps1xml'
        Get-Content -Raw -LiteralPath $file | Should -Not -Match '\[ClutterDR\.'
    }
}

Describe 'BackupInfo views' {
    It 'table: database, creation time, age, human size, format and location' {
        $text = & $Table $Backup
        $text | Should -Match 'Database\s+Created \(UTC\)\s+Age\s+Size\s+Format\s+Location'
        $text | Should -Match "$Db\s+$Stamp\s+\d+(\.\d)?s\s+\d+(\.\d)? KB\s+Custom/Zstd\s+s3://$Bucket/db/$Db/"
    }

    It 'list: sizes, table and row totals, versions and where it came from' {
        $text = & $List (Get-ClutterBackup "s3://$Bucket/db" -Latest)
        $text | Should -Match 'Size\s+: \d+(\.\d)? KB'
        $text | Should -Match 'Dump size\s+: \d+(\.\d)? KB'
        $text | Should -Match 'Tables\s+: 1 tables, 1000 rows'
        $text | Should -Match "Created \(UTC\)\s+: $Stamp"
        $text | Should -Match "Endpoint\s+: $([regex]::Escape($S3Endpoint))"
        $text | Should -Match 'Sha256\s+: [0-9a-f]{64}'
    }

    It 'table of its TableRowCounts: schema, name, rows' {
        & $Table $Backup.Tables | Should -Match 'public\s+items\s+1000'
    }
}

Describe 'BackupAgeResult views' {
    It 'a fresh backup: OK, its age in seconds and MaxAge as "3h 12m"' {
        $text = & $Table (Test-ClutterBackupAge "s3://$Bucket/db" -MaxAge 3h12m)
        $text | Should -Match 'Status\s+Database\s+Age\s+MaxAge'
        $text | Should -Match "OK\s+$Db\s+\d+(\.\d)?s\s+3h 12m\s+$Stamp\s+s3://$Bucket/db"
    }

    It 'a stale backup: TOO OLD; and the list view' {
        Start-Sleep -Milliseconds 1100
        $r = Test-ClutterBackupAge "s3://$Bucket/db" -MaxAge '1s' -Database $Db -ErrorAction SilentlyContinue
        & $Table $r | Should -Match "TOO OLD\s+$Db\s+\d+(\.\d)?s\s+1s"
        $list = & $List $r
        $list | Should -Match 'Status\s+: TOO OLD'
        $list | Should -Match 'MaxAge\s+: 1s'
    }

    It 'no backup at all: MISSING and no age' {
        $r = Test-ClutterBackupAge $Folder -MaxAge '2d' -ErrorAction SilentlyContinue
        & $Table $r | Should -Match 'MISSING\s+\(all\)\s+none\s+2d 0h'
    }
}

Describe 'RestoreResult views' {
    BeforeAll {
        $script:Target = "fmt_target_$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $script:Restored = $Backup | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl $Target) -CreateDatabase -Confirm:$false
    }

    It 'table: VERIFIED, database, tables, duration, backup time and location' {
        $text = & $Table $Restored
        $text | Should -Match 'Status\s+Database\s+Tables\s+Duration'
        $text | Should -Match "VERIFIED\s+$Target\s+1\s+\d+(\.\d)?s\s+$Stamp\s+s3://$Bucket/"
    }

    It 'list: tables and mismatches' {
        & $List $Restored | Should -Match 'Tables\s+: 1 tables, 0 mismatched'
    }

    It 'table of its TableVerifications: status, table, expected and actual rows' {
        & $Table $Restored.Tables | Should -Match 'OK\s+public\.items\s+1000\s+1000'
    }
}
