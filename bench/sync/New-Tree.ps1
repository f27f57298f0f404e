# The tree bench/sync.ps1 uploads (dot-sourced by it): -Files small files (1 to 256 KiB) and -LargeFiles files of
# -LargeSizeMiB MiB, the same sizes every run (a fixed seed), random content. Returns the total bytes.
function New-Tree([string]$Root) {
    $rng = [Random]::new(20261126)
    $pool = [byte[]]::new(4MB); $rng.NextBytes($pool)
    $total = 0L
    for ($i = 0; $i -lt $Files; $i++) {
        $dir = Join-Path $Root ('d{0:D2}' -f ($i % 50)) ('s{0:D2}' -f ([int][math]::Floor($i / 50) % 10))
        if ($i -lt 500) { $null = [IO.Directory]::CreateDirectory($dir) }
        $size = $rng.Next(1024, 256 * 1024 + 1)
        $offset = $rng.Next(0, $pool.Length - $size)
        $fs = [IO.File]::Create((Join-Path $dir ('file-{0:D5}.bin' -f $i)))
        try { $fs.Write($pool, $offset, $size); $fs.WriteByte([byte]($i % 256)) } finally { $fs.Dispose() }
        $total += $size + 1
    }
    $big = Join-Path $Root 'large'
    $null = [IO.Directory]::CreateDirectory($big)
    $chunk = [byte[]]::new(1MB)
    for ($i = 0; $i -lt $LargeFiles; $i++) {
        $fs = [IO.File]::Create((Join-Path $big ('video-{0:D2}.mp4' -f $i)))
        try { for ($m = 0; $m -lt $LargeSizeMiB; $m++) { $rng.NextBytes($chunk); $fs.Write($chunk, 0, $chunk.Length) } } finally { $fs.Dispose() }
        $total += [long]$LargeSizeMiB * 1MB
    }
    $total
}
