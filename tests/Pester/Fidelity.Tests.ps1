# What comes back is what went in: schema and every table's content, through a folder and through S3.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $script:SourceDb = New-TestDatabase -Prefix 'fidelity' -Files 'clutter-schema.sql', 'tricky-objects.sql'
    $script:Url = Get-TestPgUrl $SourceDb
    $script:SourceSchema = Get-TestSchemaDump $SourceDb
    $script:SourceHashes = Get-TestTableHashes $SourceDb
    $script:Folder = New-TestFolder
    $script:Bucket = New-TestBucket
}

AfterAll { Remove-Item -Recurse -Force $Folder -ErrorAction SilentlyContinue }

Describe 'Backup and restore fidelity' -ForEach @(
    @{ Name = 'folder, custom, zstd'; Destination = { $Folder }; Format = 'Custom'; Compression = 'Zstd' }
    @{ Name = 'S3, custom, zstd'; Destination = { "s3://$Bucket/fidelity" }; Format = 'Custom'; Compression = 'Zstd' }
    @{ Name = 'S3, plain, gzip'; Destination = { "s3://$Bucket/plain" }; Format = 'Plain'; Compression = 'Gzip' }
) {
    It 'restores <Name> with identical schema and table contents' {
        $dest = & $Destination
        $b = Backup-ClutterDatabase -ConnectionString $Url -Destination $dest -Format $Format -Compression $Compression -EndpointUrl $S3Endpoint
        ($b.Tables | Where-Object Name -eq 'Mixed Case Table').Rows | Should -Be 3
        ($b.Tables | Where-Object Name -eq 'table with space').Rows | Should -Be 50
        $target = "fid_$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $r = $b | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl $target) -CreateDatabase -Confirm:$false
        $r.Verified | Should -BeTrue
        $r.Tables.Count | Should -Be $b.Tables.Count

        Get-TestSchemaDump $target | Should -BeExactly $SourceSchema
        $hashes = Get-TestTableHashes $target
        $hashes.Keys | Should -Be $SourceHashes.Keys
        foreach ($t in $SourceHashes.Keys) { $hashes[$t] | Should -Be $SourceHashes[$t] -Because "table $t must hold the same rows" }
        Invoke-TestPsql -Database $target -Command "select nextval('""Ops Data"".ticket_seq')" | Should -Be 1021
        Invoke-TestPsql -Database $target -Command "select ""Ops Data"".double_it(21)" | Should -Be 42
        Invoke-TestPsql -Database $target -Command "select encode(digest('x', 'sha1'), 'hex')" | Should -Be '11f6ad8ec52a2984abaafd7c3b516503785c2072'
    }
}
