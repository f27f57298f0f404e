# Two copies from one dump (the 3-2-1 rule): Backup-ClutterDatabase -Destination <s3>, <folder> as the README
# writes it, against Ceph RGW and a real folder.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $script:Db = New-TestDatabase -Prefix 'copies' -Sql "create table t (id int primary key, v text); insert into t select g, md5(g::text) from generate_series(1, 3000) g"
    $script:Url = Get-TestPgUrl $Db
    $env:AWS_ENDPOINT_URL_S3 = $S3Endpoint
}

AfterAll { Remove-Item Env:AWS_ENDPOINT_URL_S3 -ErrorAction SilentlyContinue }

Describe 'Backup-ClutterDatabase to several destinations' {
    It 'README: one dump, a copy in S3 and one in a folder, the same bytes, each listed and restorable' {
        $bucket = New-TestBucket 'copies'
        $folder = New-TestFolder
        $pg_dumps = [Collections.Generic.List[int]]::new()
        $b = @(Backup-ClutterDatabase $Url "s3://$bucket/db", $folder -MinimumCopies 1 -Verbose 4>&1 | ForEach-Object {
                if ($_ -is [Management.Automation.VerboseRecord]) { if ($_.Message -match '^Using pg_dump') { $pg_dumps.Add(1) } } else { $_ }
            })
        $b.Count | Should -Be 2
        $pg_dumps.Count | Should -Be 1 -Because 'the database is read once'
        $b[0].Location | Should -BeLike "s3://$bucket/db/*"
        $b[1].Location | Should -BeLike "$folder*"
        $b[0].Sha256 | Should -Be $b[1].Sha256
        foreach ($copy in $b) {
            (Test-ClutterBackup $copy.Location).Status | Should -Be 'Passed'
        }
        (Get-ClutterBackup "s3://$bucket/db" -Latest).Location | Should -Be $b[0].Location
        (Get-ClutterBackup $folder -Latest).Location | Should -Be $b[1].Location
        $target = New-TestDatabase -Prefix 'copiesr'
        ($b[1] | Restore-ClutterDatabase -TargetConnectionString (Get-TestPgUrl $target) -Clean -Confirm:$false).Verified | Should -BeTrue
    }

    It 'keeps the copy that can be written, with a warning, when one is enough; TooFewCopies and nothing kept when all are needed' {
        $folder = New-TestFolder
        $missing = "s3://copies-missing-$([guid]::NewGuid().ToString('N').Substring(0, 8))/db"
        $warnings = @()
        $one = @(Backup-ClutterDatabase $Url $folder, $missing -MinimumCopies 1 -WarningVariable +warnings -WarningAction SilentlyContinue)
        $one.Count | Should -Be 1
        $one[0].Location | Should -BeLike "$folder*"
        ($warnings -join "`n") | Should -Match ([regex]::Escape($missing.Split('/')[2]))

        $all = New-TestFolder
        $errs = @()
        $none = @(Backup-ClutterDatabase $Url $all, $missing -ErrorVariable +errs -ErrorAction SilentlyContinue -WarningAction SilentlyContinue)
        $none.Count | Should -Be 0
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'TooFewCopies*'
        $errs[0].Exception.Message | Should -Match 'DestinationNotFound|does not exist'
        @(Get-ChildItem -LiteralPath $all -Recurse -File).Count | Should -Be 0
    }

    It 'refuses the same destination twice and a minimum above the number of destinations' {
        $folder = New-TestFolder
        { Backup-ClutterDatabase $Url $folder, $folder -ErrorAction Stop } | Should -Throw -ErrorId 'DuplicateDestination*'
        { Backup-ClutterDatabase $Url $folder -MinimumCopies 2 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidMinimumCopies*'
        @(Get-ChildItem -LiteralPath $folder -Recurse -File).Count | Should -Be 0
    }
}
