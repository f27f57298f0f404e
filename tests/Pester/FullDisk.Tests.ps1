# Fault matrix row 9, a full disk: every writer of files (Backup-ClutterDatabase to a folder, Sync-ClutterStorage
# to a folder, Protect-/Unprotect-ClutterFile) onto a real 2 MB tmpfs fails with DestinationWriteFailed (WriteError)
# naming the free space, and leaves no partial or temporary file; the backup made there before is still listed
# and restorable. The tmpfs is mounted in a mount namespace of its own (unshare), so that nothing outlives the
# test: as root directly, otherwise in a user namespace (--map-root-user). Neither possible is a failure, not a skip.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $script:Pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
    $script:Small = New-TestDatabase -Prefix 'fdsmall' -Sql "create table t as select g, md5(g::text) as h from generate_series(1, 200) g"
    # About 5 MB of dump (random text does not shrink much, and the backups run with -Compression None).
    $script:Big = New-TestDatabase -Prefix 'fdbig' -Sql "create table big as select g, md5(random()::text) || md5(random()::text) || md5(random()::text) as t from generate_series(1, 50000) g"
    $script:Work = New-TestFolder

    # Runs $Script in a child pwsh that has a fresh tmpfs of $Size mounted at $Mount; returns what it returned (through JSON).
    function Invoke-OnTmpfs([string]$Mount, [string]$Size, [scriptblock]$Script, [hashtable]$Arguments) {
        $null = New-Item -ItemType Directory -Force -Path $Mount
        $scriptPath = Join-Path $Work ("scenario-$([guid]::NewGuid().ToString('N').Substring(0, 6)).ps1")
        Set-Content -LiteralPath $scriptPath -Value $Script.ToString()
        $argsPath = "$scriptPath.args.json"
        $resultPath = "$scriptPath.result.json"
        ConvertTo-Json -InputObject $Arguments -Depth 5 | Set-Content -LiteralPath $argsPath
        $child = @'
param($Mount, $Size, $ScriptPath, $ArgsPath, $ResultPath, $Module)
$ErrorActionPreference = 'Stop'
& mount -t tmpfs -o "size=$Size" tmpfs $Mount
if ($LASTEXITCODE -ne 0) { throw "mount -t tmpfs failed ($LASTEXITCODE)" }
try {
    Import-Module $Module
    $a = Get-Content -Raw -LiteralPath $ArgsPath | ConvertFrom-Json -AsHashtable
    $r = & $ScriptPath @a
    ConvertTo-Json -InputObject $r -Depth 6 | Set-Content -LiteralPath $ResultPath
}
finally { & umount $Mount }
'@
        $childPath = "$scriptPath.child.ps1"
        Set-Content -LiteralPath $childPath -Value $child
        $pwshArgs = @('-NoProfile', '-NonInteractive', '-File', $childPath, $Mount, $Size, $scriptPath, $argsPath, $resultPath, $env:CLUTTERDR_MODULE_PATH)
        $unshare = Get-Command unshare -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
        $isRoot = (& id -u) -eq '0'
        if (-not $unshare) { throw "This test needs unshare (util-linux) to mount a small tmpfs in a mount namespace of its own; install util-linux." }
        $nsArgs = $isRoot ? @('--mount', '--propagation', 'private') : @('--user', '--map-root-user', '--mount')
        $out = & $unshare.Source @nsArgs $Pwsh @pwshArgs 2>&1
        if ($LASTEXITCODE -ne 0 -or -not (Test-Path -LiteralPath $resultPath)) {
            throw "Could not run the scenario on a tmpfs (unshare $($nsArgs -join ' ') as uid $(& id -u), exit $LASTEXITCODE): $($out -join "`n"). The full-disk tests need root or unprivileged user namespaces (kernel.unprivileged_userns_clone=1)."
        }
        Get-Content -Raw -LiteralPath $resultPath | ConvertFrom-Json
    }
}

AfterAll {
    if ($Work) { Remove-Item -Recurse -Force -LiteralPath $Work -ErrorAction SilentlyContinue }
}

Describe 'A full disk (row 9)' {
    It 'fails a folder backup with DestinationWriteFailed, removes the partial file, and keeps the earlier backup restorable' {
        $target = "fdrestored_$([guid]::NewGuid().ToString('N').Substring(0, 8))"
        $r = Invoke-OnTmpfs -Mount (Join-Path $Work 'disk') -Size '2m' -Arguments @{
            Mount = (Join-Path $Work 'disk'); SmallUrl = (Get-TestPgUrl $Small); BigUrl = (Get-TestPgUrl $Big); TargetUrl = (Get-TestPgUrl $target)
        } -Script {
            param($Mount, $SmallUrl, $BigUrl, $TargetUrl)
            $first = Backup-ClutterDatabase $SmallUrl $Mount -Compression None
            # The big one in the same folder, and a second big one into the small database's folder (beside its backup).
            Backup-ClutterDatabase $BigUrl $Mount -Compression None -ErrorVariable e1 -ErrorAction SilentlyContinue
            $filesAfter = @(Get-ChildItem -Recurse -Force -File -LiteralPath $Mount | ForEach-Object { $_.FullName.Substring($Mount.Length) })
            $foldersAfter = @(Get-ChildItem -Recurse -Force -Directory -LiteralPath $Mount | ForEach-Object { $_.FullName.Substring($Mount.Length) })
            $free = (& df --output=avail -B1 $Mount | Select-Object -Last 1).Trim()
            $listed = @(Get-ClutterBackup $Mount)
            $restored = $listed | Restore-ClutterDatabase -TargetConnectionString $TargetUrl -CreateDatabase -Confirm:$false
            @{
                FirstName = $first.Location
                ErrorId = $e1[0].FullyQualifiedErrorId; Category = "$($e1[0].CategoryInfo.Category)"; Message = $e1[0].Exception.Message; Target = "$($e1[0].TargetObject)"
                Errors = $e1.Count
                Files = $filesAfter; Folders = $foldersAfter; FreeBytes = [long]$free
                Listed = @($listed | ForEach-Object Location); Restored = "$($restored.Database)"
            }
        }
        $r.Errors | Should -Be 1
        $r.ErrorId | Should -Be 'DestinationWriteFailed,ClutterDR.Commands.BackupClutterDatabaseCommand'
        $r.Category | Should -Be 'WriteError'
        $r.Target | Should -Match "/disk/$Big/${Big}_\d{8}T\d{6}Z\.dump$"
        $r.Message | Should -Match "The disk holding '.*/disk/$Big' is full"
        $r.Message | Should -Match 'now has \d+(\.\d)? [KM]B free and this needs about \d+(\.\d)? MB' -Because 'the message names the free space and the space needed'
        # Nothing of the failed backup is left: no partial file, no manifest, not even its empty folder.
        $r.Files | Should -HaveCount 2
        $r.Files | Where-Object { $_ -match '\.partial$' -or $_ -match $Big } | Should -BeNullOrEmpty
        $r.Folders | Should -Be @("/$Small")
        $r.FreeBytes | Should -BeGreaterThan 1.5MB -Because 'the partial file that filled the disk is removed'
        # The earlier backup is still there and restores.
        $r.FirstName | Should -Match "/disk/$Small/${Small}_\d{8}T\d{6}Z\.dump$"
        $r.Listed | Should -Be @($r.FirstName)
        $r.Restored | Should -Be $target
        Invoke-TestPsql -Database $target -Command 'select count(*) from t' | Should -Be 200
    }

    It 'fails Sync-ClutterStorage to a folder with DestinationWriteFailed and leaves no temporary file' {
        $src = Join-Path $Work 'syncsrc'
        $null = New-Item -ItemType Directory -Force -Path $src
        $bytes = [byte[]]::new(3MB); [Random]::new(9).NextBytes($bytes)
        [IO.File]::WriteAllBytes((Join-Path $src 'big.bin'), $bytes)
        Set-Content -LiteralPath (Join-Path $src 'small.txt') -Value 'small'
        $r = Invoke-OnTmpfs -Mount (Join-Path $Work 'syncdisk') -Size '2m' -Arguments @{ Mount = (Join-Path $Work 'syncdisk'); Src = $src } -Script {
            param($Mount, $Src)
            $before = Join-Path $Mount 'kept.txt'
            Set-Content -LiteralPath $before -Value 'was here before'
            $err = $null
            # One transfer at a time (the largest first): the big file is the one that meets the full disk.
            try { Sync-ClutterStorage $Src (Join-Path $Mount 'copy') -ThrottleLimit 1 -ErrorAction Stop | Out-Null } catch { $err = $_ }
            @{
                ErrorId = $err.FullyQualifiedErrorId; Category = "$($err.CategoryInfo.Category)"; Message = $err.Exception.Message
                Files = @(Get-ChildItem -Recurse -Force -File -LiteralPath $Mount | ForEach-Object { $_.FullName.Substring($Mount.Length) })
                Kept = (Get-Content -Raw -LiteralPath $before).Trim()
            }
        }
        $r.ErrorId | Should -BeLike 'DestinationWriteFailed,*'
        $r.Category | Should -Be 'WriteError'
        $r.Message | Should -Match "writing '.*/syncdisk/copy/big\.bin' stopped after .* this needs about 3\.1 MB"
        $r.Files | Where-Object { $_ -match '\.partial$' } | Should -BeNullOrEmpty
        $r.Files | Should -Not -Contain '/copy/big.bin'
        $r.Kept | Should -Be 'was here before'
    }

    It 'fails Protect-ClutterFile and Unprotect-ClutterFile with DestinationWriteFailed and leaves no temporary file' {
        $plain = Join-Path $Work 'plain.bin'
        $bytes = [byte[]]::new(3MB); [Random]::new(7).NextBytes($bytes)
        [IO.File]::WriteAllBytes($plain, $bytes)
        $pass = ConvertTo-SecureString 'full-disk-pass' -AsPlainText -Force
        $encrypted = Protect-ClutterFile -Path $plain -Destination (Join-Path $Work 'plain.bin.gpg') -Passphrase $pass
        $r = Invoke-OnTmpfs -Mount (Join-Path $Work 'gpgdisk') -Size '2m' -Arguments @{ Mount = (Join-Path $Work 'gpgdisk'); Plain = $plain; Encrypted = $encrypted.FullName } -Script {
            param($Mount, $Plain, $Encrypted)
            $pass = ConvertTo-SecureString 'full-disk-pass' -AsPlainText -Force
            $results = @{}
            foreach ($op in 'Protect', 'Unprotect') {
                $err = $null
                try {
                    if ($op -eq 'Protect') { Protect-ClutterFile -Path $Plain -Destination (Join-Path $Mount 'out.gpg') -Passphrase $pass -ErrorAction Stop | Out-Null }
                    else { Unprotect-ClutterFile -Path $Encrypted -Destination (Join-Path $Mount 'out.bin') -Passphrase $pass -ErrorAction Stop | Out-Null }
                }
                catch { $err = $_ }
                $results[$op] = @{
                    ErrorId = $err.FullyQualifiedErrorId; Category = "$($err.CategoryInfo.Category)"; Message = $err.Exception.Message
                    Files = @(Get-ChildItem -Recurse -Force -File -LiteralPath $Mount | ForEach-Object Name)
                }
            }
            $results
        }
        foreach ($op in 'Protect', 'Unprotect') {
            $o = $r.$op
            $o.ErrorId | Should -BeLike 'DestinationWriteFailed,*' -Because "$op-ClutterFile onto a full disk"
            $o.Category | Should -Be 'WriteError'
            $o.Message | Should -Match "The disk holding '.*/gpgdisk' is full: writing '.*/gpgdisk/out\.(gpg|bin)' stopped after .* free and this needs about 3\.1 MB"
            $o.Files | Should -BeNullOrEmpty -Because "$op-ClutterFile leaves no temporary file on the full disk"
        }
    }
}
