# Sync-ClutterStorage as users call it: the built module, the real S3 server, real folders.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $PSDefaultParameterValues = @{
        'Sync-ClutterStorage:SourceEndpointUrl'      = $S3Endpoint
        'Sync-ClutterStorage:DestinationEndpointUrl' = $S3Endpoint
    }
    $script:Root = New-TestFolder
    $script:Src = Join-Path $Root 'media_20261126'
    $script:Back = Join-Path $Root 'restored'
    $script:B1 = New-TestBucket 'sync'
    $script:B2 = New-TestBucket 'sync'
    $script:S3A = "s3://$B1/media/20261126"
    $script:S3B = "s3://$B2/offsite"

    $rng = [Random]::new(42)
    function New-TestFile([string]$Relative, [int]$Size) {
        $path = Join-Path $Src $Relative
        $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $path)
        $bytes = [byte[]]::new($Size); $rng.NextBytes($bytes)
        [IO.File]::WriteAllBytes($path, $bytes)
    }
    New-TestFile 'avatars/ünïcødé ñame.png' 3000
    New-TestFile 'avatars/日本語/写真.jpg' 40000
    New-TestFile 'dumps/2026/11/with spaces in name.txt' 1500
    New-TestFile 'deep/a/b/c/d/e/f.bin' 777
    New-TestFile 'empty.dat' 0
    New-TestFile 'videos/big one.mp4' (20 * 1024 * 1024)

    # Relative path => SHA-256, for every file under a folder.
    function Get-TreeHashes([string]$Folder) {
        $map = @{}
        foreach ($f in Get-ChildItem -LiteralPath $Folder -Recurse -File) {
            $rel = [IO.Path]::GetRelativePath($Folder, $f.FullName).Replace('\', '/')
            $map[$rel] = (Get-FileHash -LiteralPath $f.FullName -Algorithm SHA256).Hash
        }
        $map
    }
    function Assert-SameTree([string]$Expected, [string]$Actual) {
        $e = Get-TreeHashes $Expected; $a = Get-TreeHashes $Actual
        ($a.Keys | Sort-Object) | Should -Be ($e.Keys | Sort-Object)
        foreach ($k in $e.Keys) { $a[$k] | Should -Be $e[$k] -Because $k }
    }
    function Put-RawObject([string]$Bucket, [string]$EncodedKey, [string]$Body = 'x') {
        $null = Invoke-TestS3 -Method Put -Path "/$Bucket/$EncodedKey" -Body ([Text.Encoding]::UTF8.GetBytes($Body))
    }
}

AfterAll {
    Remove-Item -Recurse -Force $Root -ErrorAction SilentlyContinue
}

Describe 'Sync-ClutterStorage' {
    It 'syncs folder -> S3 -> second bucket -> folder with every byte equal' {
        $r1 = Sync-ClutterStorage $Src $S3A -StorageClass STANDARD_IA
        $r1.PSObject.TypeNames[0] | Should -Be 'ClutterDR.SyncSummary'
        $r1.Copied | Should -Be 6
        $r1.Failed | Should -Be 0
        $r1.Bytes | Should -Be ((Get-ChildItem -LiteralPath $Src -Recurse -File | Measure-Object Length -Sum).Sum)
        $head = Invoke-TestS3 -Method Head -Path "/$B1/media/20261126/videos/big%20one.mp4"
        $head.Headers['x-amz-storage-class'] | Should -Be 'STANDARD_IA'
        $head.Headers['Content-Type'] | Should -Be 'video/mp4'

        (Sync-ClutterStorage $S3A $S3B).Copied | Should -Be 6
        (Get-TestS3Keys $B2 | Sort-Object) | Should -Be ((Get-TestS3Keys $B1 | ForEach-Object { $_ -replace '^media/20261126/', 'offsite/' }) | Sort-Object)

        (Sync-ClutterStorage $S3B $Back).Copied | Should -Be 6
        Assert-SameTree $Src $Back
        # The file times came along (kept in object metadata on the way).
        foreach ($f in Get-ChildItem -LiteralPath $Src -Recurse -File) {
            $twin = Join-Path $Back ([IO.Path]::GetRelativePath($Src, $f.FullName))
            (Get-Item -LiteralPath $twin).LastWriteTimeUtc | Should -Be $f.LastWriteTimeUtc
        }
    }

    It 'transfers nothing on a second run' {
        foreach ($pair in @(@($Src, $S3A), @($S3A, $S3B), @($S3B, $Back))) {
            $r = Sync-ClutterStorage $pair[0] $pair[1]
            $r.Copied + $r.Updated + $r.Deleted | Should -Be 0 -Because "$($pair[0]) -> $($pair[1])"
            $r.Skipped | Should -Be 6
            $r.Bytes | Should -Be 0
        }
    }

    It 'transfers exactly the one file that changed' {
        Start-Sleep -Milliseconds 1100
        Set-Content -LiteralPath (Join-Path $Src 'dumps/2026/11/with spaces in name.txt') -Value 'changed content'
        $items = Sync-ClutterStorage $Src $S3A -PassThru | Where-Object { $_.PSObject.TypeNames[0] -eq 'ClutterDR.SyncItem' }
        $changed = @($items | Where-Object Action -ne 'Skip')
        $changed.Count | Should -Be 1
        $changed[0].Action | Should -Be 'Update'
        $changed[0].Key | Should -Be 'dumps/2026/11/with spaces in name.txt'
        $changed[0].Status | Should -Be 'Done'
        (Sync-ClutterStorage $S3A $S3B).Updated | Should -Be 1
        (Sync-ClutterStorage $S3B $Back).Updated | Should -Be 1
        Assert-SameTree $Src $Back
    }

    It '-WhatIf changes nothing' {
        Put-RawObject $B1 'media/20261126/extra-object.txt'
        New-TestFile 'new-file.txt' 10
        $before = Get-TestS3Keys $B1
        $r = Sync-ClutterStorage $Src $S3A -Delete -WhatIf
        $r.WhatIf | Should -BeTrue
        ($r.Copied, $r.Deleted) | Should -Be @(1, 1)   # what would happen: new-file.txt, extra-object.txt
        (Get-TestS3Keys $B1 | Sort-Object) | Should -Be ($before | Sort-Object)
        Remove-Item -LiteralPath (Join-Path $Src 'new-file.txt')
    }

    It '-Delete removes exactly the extra objects (and nothing excluded)' {
        Put-RawObject $B1 'media/20261126/avatars/stale%20one.png'
        Put-RawObject $B1 'media/20261126/keep.log'
        Put-RawObject $B1 'media/other-day/outside-the-prefix.txt'
        $r = Sync-ClutterStorage $Src $S3A -Delete -Exclude '*.log'
        $r.Deleted | Should -Be 2   # extra-object.txt and avatars/stale one.png
        $keys = Get-TestS3Keys $B1
        $keys | Should -Contain 'media/20261126/keep.log'
        $keys | Should -Contain 'media/other-day/outside-the-prefix.txt'
        $keys | Should -Not -Contain 'media/20261126/extra-object.txt'
        $keys | Should -Not -Contain 'media/20261126/avatars/stale one.png'
        @($keys | Where-Object { $_ -like 'media/20261126/*' }).Count | Should -Be 7
    }

    It 'refuses a traversal key planted in the source bucket and syncs the rest' {
        $bucket = New-TestBucket 'evil'
        Put-RawObject $bucket 'good/file.txt' 'good'
        Put-RawObject $bucket '..%5C..%5Cescaped.txt' 'evil'     # ..\..\escaped.txt: a separator on Windows
        Put-RawObject $bucket 'C%3A/Windows/drive.txt' 'evil'    # a drive letter
        $dest = Join-Path $Root 'evil-dest'
        $r = Sync-ClutterStorage "s3://$bucket" $dest -ErrorVariable errs -ErrorAction SilentlyContinue
        $r.Copied | Should -Be 1
        $r.Failed | Should -Be 2
        $errs.Count | Should -Be 2
        foreach ($e in $errs) {
            $e.FullyQualifiedErrorId | Should -BeLike 'UnsafeObjectKey*'
            $e.CategoryInfo.Category | Should -Be 'InvalidData'
            $e.TargetObject | Should -BeLike "s3://$bucket/*"
            $e.ErrorDetails.Message | Should -Match 'rename the object'
        }
        Get-Content -Raw -LiteralPath (Join-Path $dest 'good/file.txt') | Should -Be 'good'
        @(Get-ChildItem -LiteralPath $Root -Recurse -File -Filter '*escaped*').Count | Should -Be 0
        @(Get-ChildItem -LiteralPath $dest -Recurse -File).Count | Should -Be 1
    }

    It 'refuses -Checksum with -SizeOnly and a missing source folder with clear errors' {
        { Sync-ClutterStorage $Src $S3A -Checksum -SizeOnly -ErrorAction Stop } | Should -Throw -ErrorId 'ConflictingCompareModes*'
        $err = { Sync-ClutterStorage (Join-Path $Root 'no-such-folder') $S3A -ErrorAction Stop } | Should -Throw -ErrorId 'SourceNotFound*' -PassThru
        $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'stops quietly when a downstream command has all it wants (Select-Object -First)' {
        $many = Join-Path $Root 'many'
        $null = New-Item -ItemType Directory -Path $many
        foreach ($i in 1..32) { [IO.File]::WriteAllBytes((Join-Path $many "file$i.bin"), [byte[]]::new(64KB * $i)) }
        $dest = Join-Path $Root 'many-dest'
        $items = @(Sync-ClutterStorage $many $dest -PassThru -ThrottleLimit 8 -ErrorVariable errs | Select-Object -First 3)
        $afterwards = 'the script went on'
        $errs.Count | Should -Be 0 -Because ($errs | Out-String)
        $items.Count | Should -Be 3
        $items | ForEach-Object { $_.PSObject.TypeNames[0] | Should -Be 'ClutterDR.SyncItem' }
        $afterwards | Should -Be 'the script went on'
        # The copies in flight were cancelled and cleaned up: no half-written temporary files.
        @(Get-ChildItem -LiteralPath $dest -Force -File -Filter '*.partial').Count | Should -Be 0
        foreach ($f in Get-ChildItem -LiteralPath $dest -File) {
            $f.Length | Should -Be (Get-Item -LiteralPath (Join-Path $many $f.Name)).Length -Because "$($f.Name) is complete or absent"
        }
        # The same to S3 (multipart uploads in flight are aborted), and promptly: a stop answered at once by the
        # server once waited 30 s for an answer the client had already received.
        $bucket = New-TestBucket 'stop'
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $items = @(Sync-ClutterStorage $Src "s3://$bucket" -PassThru -ThrottleLimit 8 -ErrorVariable errs | Select-Object -First 1)
        $watch.Stop()
        $errs.Count | Should -Be 0 -Because ($errs | Out-String)
        $items.Count | Should -Be 1
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 10 -Because 'a stop must not wait on the cleanup of the uploads in flight'
        (Get-TestS3Uploads $bucket).Count | Should -Be 0 -Because 'the multipart upload in flight is aborted'
    }

    It '-WhatIf reports what it would do in a summary marked WhatIf' {
        $many = Join-Path $Root 'whatif-src'
        $dest = Join-Path $Root 'whatif-dest'
        $null = New-Item -ItemType Directory -Path $many, $dest
        foreach ($i in 1..31) { [IO.File]::WriteAllBytes((Join-Path $many "file$i.bin"), [byte[]]::new(1000)) }
        [IO.File]::WriteAllBytes((Join-Path $many 'same.bin'), [byte[]]::new(10))
        Copy-Item -LiteralPath (Join-Path $many 'same.bin') -Destination $dest
        [IO.File]::WriteAllBytes((Join-Path $dest 'stale.bin'), [byte[]]::new(10))
        $r = Sync-ClutterStorage $many $dest -Delete -WhatIf 6>$null
        $r.PSObject.TypeNames[0] | Should -Be 'ClutterDR.SyncSummary'
        $r.WhatIf | Should -BeTrue
        ($r.Copied, $r.Updated, $r.Deleted, $r.Skipped, $r.Failed) | Should -Be @(31, 0, 1, 1, 0)
        $r.Bytes | Should -Be 31000
        ($r | Format-Table | Out-String) | Should -Match 'What if: '
        (Get-ChildItem -LiteralPath $dest -File).Name | Sort-Object | Should -Be @('same.bin', 'stale.bin')
        # Without -WhatIf the summary is not marked, and counts what was done.
        $done = Sync-ClutterStorage $many $dest -Delete
        $done.WhatIf | Should -BeFalse
        ($done.Copied, $done.Deleted, $done.Skipped) | Should -Be @(31, 1, 1)
        ($done | Format-Table | Out-String) | Should -Not -Match 'What if: '
    }

    It 'has a help page that documents every parameter' {
        $page = Get-Content -Raw -LiteralPath (Join-Path (Split-Path -Parent (Split-Path -Parent $PSScriptRoot)) 'docs/en-US/Sync-ClutterStorage.md')
        $common = [Management.Automation.PSCmdlet]::CommonParameters + [Management.Automation.PSCmdlet]::OptionalCommonParameters
        foreach ($name in (Get-Command Sync-ClutterStorage).Parameters.Keys | Where-Object { $_ -notin $common }) {
            $page | Should -Match "(?m)^### -$name\r?$" -Because "-$name needs a section"
        }
        $page | Should -Match '(?m)^### -WhatIf'
        ([regex]::Matches($page, '(?m)^### Example \d')).Count | Should -BeGreaterThan 4
    }
}
