# Backup plans (Invoke-ClutterBackupPlan, Test-ClutterBackupPlan, Export-ClutterSchedule) as a scheduler runs them:
# real pwsh processes (-NonInteractive -File), real backups of the test PostgreSQL to a folder, real signals.
BeforeAll {
    . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
    $script:Pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
    $script:Root = New-TestFolder
    $script:Db = New-TestDatabase -Prefix 'plan' -Sql 'create table items (id int primary key, name text); insert into items select g, md5(g::text) from generate_series(1, 200) g'
    $script:Url = Get-TestPgUrl $Db
    $script:LineFormat = '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z [A-Za-z0-9._-]+/[A-Za-z0-9._-]+ [a-z]+( \[[A-Za-z]+\])?( .*)?$'

    function New-Plan([string]$Name, [string]$Text) {
        $p = Join-Path $Root "$Name.psd1"; Set-Content -LiteralPath $p -Value $Text; $p
    }
    # Starts a pwsh -NonInteractive -File of a script, with the environment given; returns the process and its output tasks.
    function Start-Job([string]$Script, [hashtable]$Environment = @{}) {
        $psi = [Diagnostics.ProcessStartInfo]::new($Pwsh)
        foreach ($a in '-NoProfile', '-NonInteractive', '-File', $Script) { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true; $psi.UseShellExecute = $false
        foreach ($k in $Environment.Keys) { $psi.Environment[$k] = $Environment[$k] }
        $p = [Diagnostics.Process]::Start($psi)
        [pscustomobject]@{ Process = $p; Out = $p.StandardOutput.ReadToEndAsync(); Err = $p.StandardError.ReadToEndAsync() }
    }
    function New-JobScript([string]$Plan, [string]$Log, [string]$Extra = '') {
        $s = Join-Path $Root ([guid]::NewGuid().ToString('N') + '.ps1')
        Set-Content -LiteralPath $s -Value "Import-Module '$env:CLUTTERDR_MODULE_PATH'`nInvoke-ClutterBackupPlan -Path '$Plan' -LogPath '$Log' $Extra`n'after the plan'"
        $s
    }
}

Describe 'Invoke-ClutterBackupPlan in a scheduled job' {
    BeforeAll {
        $backups = Join-Path $Root 'backups'
        $script:Plan = New-Plan 'failing' @"
@{
    Defaults = @{ MaxRetries = 0; KeepLast = 7 }
    Jobs = @{
        nightly = @{
            Schedule = '0 2 * * *'
            Steps = @(
                @{ Name = 'backup'; Command = 'Backup-ClutterDatabase'; Parameters = @{ ConnectionString = @{ FromEnvironment = 'PLAN_TEST_DB_URL' }; Destination = '$backups' } }
                @{ Name = 'broken'; Command = 'Backup-ClutterDatabase'; Parameters = @{ ConnectionString = 'postgresql://postgres@127.0.0.1:1/none'; Destination = '$backups' } }
                @{ Name = 'age'; Command = 'Test-ClutterBackupAge'; DependsOn = 'backup'; Parameters = @{ Location = '$backups'; MaxAge = '01:00:00' } }
                @{ Name = 'needs-broken'; Command = 'Get-ClutterBackup'; DependsOn = 'broken'; Parameters = @{ Location = '$backups' } }
            )
        }
    }
}
"@
        $script:Log = Join-Path $Root 'logs' 'nightly.log'
        $j = Start-Job (New-JobScript $Plan $Log) @{ PLAN_TEST_DB_URL = $Url }
        $j.Process.WaitForExit()
        $script:Exit = $j.Process.ExitCode; $script:Stdout = $j.Out.Result; $script:Stderr = $j.Err.Result
        $script:Lines = @(Get-Content -LiteralPath $Log)
    }

    It 'runs the steps after a failed one, skips its dependants, and exits non-zero' {
        $Exit | Should -Be 1 -Because "stdout: $Stdout stderr: $Stderr"
        $Stdout | Should -Not -Match 'after the plan' -Because 'PlanFailed ends the script like throw'
        $Lines | Should -Contain ($Lines | Where-Object { $_ -match ' nightly/backup succeeded 1 BackupInfo: ' })
        @($Lines | Where-Object { $_ -match ' nightly/broken failed \[ServerUnreachable\] PostgreSQL at 127\.0\.0\.1:1 ' }).Count | Should -Be 1
        @($Lines | Where-Object { $_ -match ' nightly/age succeeded ' }).Count | Should -Be 1
        @($Lines | Where-Object { $_ -match " nightly/needs-broken skipped it depends on 'broken'" }).Count | Should -Be 1
        @($Lines | Where-Object { $_ -match ' nightly/- failed in .*: 2 succeeded, 1 failed, 1 skipped$' }).Count | Should -Be 1
        @(Get-ChildItem (Join-Path $Root "backups") -Recurse -Filter "*.manifest.json").Count | Should -Be 1
    }

    It 'logs plain, timestamped lines: one per event, no ANSI codes, errors on one line with their ErrorId' {
        $Lines.Count | Should -BeGreaterOrEqual 8
        foreach ($l in $Lines) { $l | Should -Match $LineFormat }
        (Get-Content -Raw -LiteralPath $Log) | Should -Not -Match "\x1B"
        # Not a terminal: the same lines reach stdout, and nothing there is coloured.
        $Stdout | Should -Match ([regex]::Escape(($Lines | Where-Object { $_ -match 'broken failed' })))
        $Stdout + $Stderr | Should -Not -Match "\x1B\["
        $ts = [datetime]::Parse($Lines[0].Split(' ')[0], [cultureinfo]::InvariantCulture, 'AdjustToUniversal')
        ([datetime]::UtcNow - $ts).TotalMinutes | Should -BeLessThan 10
    }

    It 'a secret set in the environment appears in no output or log line' {
        $env:CLUTTERDR_TEST_PG_PASSWORD | Should -Not -BeNullOrEmpty
        (Get-Content -Raw -LiteralPath $Log) + $Stdout + $Stderr | Should -Not -Match ([regex]::Escape($env:CLUTTERDR_TEST_PG_PASSWORD))
        (Get-Content -Raw -LiteralPath $Log) | Should -Not -Match ([regex]::Escape($Url))
    }

    It 'returns a PlanResult per job, then PlanFailed (catchable), in the session, also with $ErrorActionPreference = Stop' {
        $env:PLAN_TEST_DB_URL = $Url
        $ErrorActionPreference = 'Stop'
        try {
            $caught = $null
            try { Invoke-ClutterBackupPlan -Path $Plan -OutVariable results | Out-Null } catch { $caught = $_ }
            $caught.FullyQualifiedErrorId | Should -BeLike 'PlanFailed*'
            $caught.Exception.Message | Should -Match 'nightly/broken \[ServerUnreachable\]'
            $r = @($results)[0]
            $r.GetType().FullName | Should -Be 'ClutterDR.PlanResult'
            $r.Status | Should -Be 'Failed'
            ($r.Steps | ForEach-Object { "$($_.Name)=$($_.Status)" }) -join ',' | Should -Be 'backup=Succeeded,broken=Failed,age=Succeeded,needs-broken=Skipped'
            ($r.Steps | Where-Object Name -EQ broken).ErrorId | Should -Be 'ServerUnreachable'
            ($r.Steps | Where-Object Name -EQ backup).Objects[0].GetType().FullName | Should -Be 'ClutterDR.BackupInfo'
        }
        finally { Remove-Item Env:PLAN_TEST_DB_URL }
    }

    It '-WhatIf passes -WhatIf to the steps that have it and runs none of the others' {
        $src = New-TestFolder; Set-Content -LiteralPath (Join-Path $src 'a.txt') -Value 'a'
        $dst = Join-Path $Root 'whatif-dst'
        $p = New-Plan 'whatif' "@{ Jobs = @{ j = @{ Schedule = '@daily'; Steps = @( @{ Name = 'sync'; Command = 'Sync-ClutterStorage'; Parameters = @{ Source = '$src'; Destination = '$dst' } }, @{ Name = 'db'; Command = 'Backup-ClutterDatabase'; Parameters = @{ ConnectionString = '$Url'; Destination = '$(Join-Path $Root 'whatif-db')' } } ) } } }"
        $r = Invoke-ClutterBackupPlan -Path $p -WhatIf 6>$null
        $r.WhatIf | Should -BeTrue
        ($r.Steps | ForEach-Object { "$($_.Name)=$($_.Status)" }) -join ',' | Should -Be 'sync=Succeeded,db=Skipped'
        ($r.Steps | Where-Object Name -EQ sync).Objects[0].WhatIf | Should -BeTrue
        Test-Path $dst | Should -BeFalse
        Test-Path (Join-Path $Root 'whatif-db') | Should -BeFalse
    }
}

Describe 'A plan stopped from outside' -Skip:$IsWindows {
    BeforeAll {
        # Big enough that its backup runs for seconds: the signal arrives while pg_dump streams.
        $script:BigDb = New-TestDatabase -Prefix 'plansig' -Sql "create table t as select g, md5(g::text) m, repeat(md5(g::text), 8) r from generate_series(1, 3000000) g"
    }

    It 'logs that it was stopped by <Signal>, skips the rest and exits <Code>' -ForEach @(@{ Signal = 'INT'; Code = 130 }, @{ Signal = 'TERM'; Code = 143 }) {
        $dest = Join-Path $Root "sig-$Signal"
        $p = New-Plan "sig-$Signal" "@{ Jobs = @{ j = @{ Schedule = '0 2 * * *'; Steps = @( @{ Name = 'big'; Command = 'Backup-ClutterDatabase'; Parameters = @{ ConnectionString = '$(Get-TestPgUrl $BigDb)'; Destination = '$dest' } }, @{ Name = 'next'; Command = 'Get-ClutterBackup'; Parameters = @{ Location = '$Root' } } ) } } }"
        $log = Join-Path $Root "sig-$Signal.log"
        $j = Start-Job (New-JobScript $p $log)
        $deadline = [datetime]::UtcNow.AddSeconds(60)
        while (-not ((Test-Path $log) -and (Get-Content -Raw $log) -match 'j/big started') -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        Start-Sleep -Milliseconds 700
        $j.Process.HasExited | Should -BeFalse -Because 'the backup must still be running when the signal arrives'
        & kill "-$Signal" $j.Process.Id
        $j.Process.WaitForExit(60000) | Should -BeTrue
        $j.Process.ExitCode | Should -Be $Code -Because "stdout: $($j.Out.Result) stderr: $($j.Err.Result)"
        $lines = @(Get-Content -LiteralPath $log)
        @($lines | Where-Object { $_ -match " j/- stopped \[PlanStopped\] by SIG$Signal" }).Count | Should -Be 1 -Because ($lines -join "`n")
        @($lines | Where-Object { $_ -match ' j/next skipped the plan was stopped' }).Count | Should -Be 1
        @($lines | Where-Object { $_ -match ' j/big succeeded' }).Count | Should -Be 0
        foreach ($l in $lines) { $l | Should -Match $LineFormat }
        $j.Out.Result | Should -Not -Match 'after the plan'
        @(Get-ChildItem $dest -Recurse -Filter '*.manifest.json' -ErrorAction Ignore).Count | Should -Be 0 -Because 'a stopped backup is not committed'
    }
}

Describe 'Test-ClutterBackupPlan' {
    It 'refuses a broken plan: <Case>' -ForEach @(
        @{ Case = 'unknown cmdlet'; Id = 'PlanUnknownCommand'; Steps = "@{ Name = 's1'; Command = 'Backup-ClutterEverything'; Parameters = @{} }"; Schedule = '0 2 * * *'; Pattern = "job 'j', step 's1'.*Backup-ClutterEverything" }
        @{ Case = 'unknown parameter'; Id = 'PlanUnknownParameter'; Steps = "@{ Name = 's1'; Command = 'Get-ClutterBackup'; Parameters = @{ Location = '/tmp'; Bogus = 1 } }"; Schedule = '0 2 * * *'; Pattern = "job 'j', step 's1'.*-Bogus" }
        @{ Case = 'missing secret'; Id = 'PlanSecretMissing'; Steps = "@{ Name = 's1'; Command = 'Backup-ClutterDatabase'; Parameters = @{ ConnectionString = @{ FromEnvironment = 'PLAN_TEST_UNSET_VAR' }; Destination = '/tmp/x' } }"; Schedule = '0 2 * * *'; Pattern = "job 'j', step 's1', parameter -ConnectionString.*PLAN_TEST_UNSET_VAR is not set" }
        @{ Case = 'bad cron'; Id = 'PlanInvalidSchedule'; Steps = "@{ Name = 's1'; Command = 'Get-ClutterBackup'; Parameters = @{ Location = '/tmp' } }"; Schedule = '61 2 * * *'; Pattern = "job 'j'.*'61 2 \* \* \*'" }
        @{ Case = 'unknown dependency'; Id = 'PlanUnknownDependency'; Steps = "@{ Name = 's1'; Command = 'Get-ClutterBackup'; DependsOn = 'nope'; Parameters = @{ Location = '/tmp' } }"; Schedule = '0 2 * * *'; Pattern = "job 'j', step 's1'.*'nope'" }
        @{ Case = 'cycle'; Id = 'PlanDependencyCycle'; Steps = "@{ Name = 'a'; Command = 'Get-ClutterBackup'; DependsOn = 'b'; Parameters = @{ Location = '/tmp' } }, @{ Name = 'b'; Command = 'Get-ClutterBackup'; DependsOn = 'a'; Parameters = @{ Location = '/tmp' } }"; Schedule = '0 2 * * *'; Pattern = "job 'j'.*a -> b" }
        @{ Case = 'missing -Secret entry'; Id = 'PlanSecretMissing'; Steps = "@{ Name = 's1'; Command = 'Get-ClutterBackup'; Parameters = @{ Location = 's3://b/p'; S3Credential = @{ FromSecret = 's3' } } }"; Schedule = '0 2 * * *'; Pattern = "-Secret has no entry 's3'" }
    ) {
        $p = New-Plan ("broken-" + ($Case -replace '\W', '-')) "@{ Jobs = @{ j = @{ Schedule = '$Schedule'; Steps = @( $Steps ) } } }"
        $ok = Test-ClutterBackupPlan -Path $p -ErrorVariable problems -ErrorAction SilentlyContinue
        $ok | Should -BeFalse
        @($problems).Count | Should -Be 1 -Because (@($problems) -join '; ')
        $problems[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $problems[0].Exception.Message | Should -Match $Pattern
    }

    It 'reports a bad shape (no Jobs, unknown key) as PlanInvalid, and an unreadable file as PlanNotFound' {
        $p = New-Plan 'shape' "@{ Job = @{} }"
        Test-ClutterBackupPlan $p -ErrorVariable e -ErrorAction SilentlyContinue | Should -BeFalse
        @($e | ForEach-Object { $_.FullyQualifiedErrorId.Split(',')[0] }) | Sort-Object -Unique | Should -Be 'PlanInvalid'
        $code = New-Plan 'code' "@{ Jobs = (Get-Date) }"
        Test-ClutterBackupPlan $code -ErrorVariable e2 -ErrorAction SilentlyContinue | Should -BeFalse
        $e2[0].FullyQualifiedErrorId | Should -BeLike 'PlanNotFound,*'
    }

    It 'validates the sample plan of the docs' {
        $env:DATABASE_URL = $Url; $env:AUDIT_DATABASE_URL = $Url; $env:SLACK_WEBHOOK_URL = 'https://hooks.slack.com/services/T/B/x'; $env:HEALTHCHECK_URL = 'https://hc-ping.com/x'; $env:DRILL_DATABASE_URL = $Url
        try {
            $cred = [pscredential]::new('key', (ConvertTo-SecureString 'not-used' -AsPlainText -Force))
            $sample = Join-Path (Split-Path -Parent (Split-Path -Parent $PSScriptRoot)) 'docs' 'samples' 'clutterdr-plan.psd1'
            $ok = Test-ClutterBackupPlan $sample -Secret @{ s3 = $cred } -ErrorVariable e
            $ok | Should -BeTrue -Because (@($e) -join '; ')
            (Import-PowerShellDataFile $sample).Jobs.Keys | Sort-Object | Should -Be @('daily-database', 'daily-storage', 'monthly-drill', 'weekly-full')
        }
        finally { Remove-Item Env:DATABASE_URL, Env:AUDIT_DATABASE_URL, Env:SLACK_WEBHOOK_URL, Env:HEALTHCHECK_URL, Env:DRILL_DATABASE_URL }
    }
}

Describe 'Export-ClutterSchedule' {
    BeforeAll {
        $script:Sample = Join-Path (Split-Path -Parent (Split-Path -Parent $PSScriptRoot)) 'docs' 'samples' 'clutterdr-plan.psd1'
        $script:Expected = @{ 'daily-database' = '0 2 * * *'; 'daily-storage' = '0 3 * * *'; 'weekly-full' = '0 1 * * 0'; 'monthly-drill' = '0 9 1 * *' }
        $script:Out = New-TestFolder
    }

    It 'Cron: one crontab line per job, its five fields the schedule, the command the job with its log' {
        $e = Export-ClutterSchedule $Sample -Format Cron -Destination $Out -LogFolder '/var/log/clutterdr'
        $e.Path | Should -Exist
        $lines = @(Get-Content $e.Path | Where-Object { $_ -and $_ -notmatch '^#' })
        $lines.Count | Should -Be 4
        foreach ($l in $lines) {
            $f = $l -split ' ', 6
            $l | Should -Match "-Job '([a-z-]+)' -LogPath '/var/log/clutterdr/\1\.log'"
            $job = [regex]::Match($l, "-Job '([a-z-]+)'").Groups[1].Value
            ($f[0..4] -join ' ') | Should -Be $Expected[$job]
            $f[5] | Should -BeLike "* -NoProfile -NonInteractive -Command `"Invoke-ClutterBackupPlan -Path '$Sample' -Job '$job' *"
        }
    }

    It 'SystemdTimer: a .service and .timer per job, OnCalendar equal to the cron schedule' {
        $entries = Export-ClutterSchedule $Sample -Format SystemdTimer -Destination $Out
        $entries.Count | Should -Be 8
        $want = @{ 'daily-database' = '*-*-* 02:00:00'; 'daily-storage' = '*-*-* 03:00:00'; 'weekly-full' = 'Sun *-*-* 01:00:00'; 'monthly-drill' = '*-*-01 09:00:00' }
        foreach ($job in $want.Keys) {
            $timer = Get-Content -Raw (Join-Path $Out "clutterdr-$job.timer")
            $timer | Should -Match "(?m)^OnCalendar=$([regex]::Escape($want[$job]))$"
            $timer | Should -Match "(?m)^Unit=clutterdr-$job\.service$"
            Get-Content -Raw (Join-Path $Out "clutterdr-$job.service") | Should -Match "(?m)^ExecStart=.* -NonInteractive -Command `"Invoke-ClutterBackupPlan -Path '.*' -Job '$job' -LogPath '.*$job\.log'`"$"
            if (Get-Command systemd-analyze -ErrorAction Ignore) {
                $norm = & systemd-analyze calendar $want[$job] 2>&1
                $LASTEXITCODE | Should -Be 0 -Because ($norm -join "`n")
            }
        }
    }

    It 'ScheduledTask: a script whose Register-ScheduledTask calls name each job and carry its trigger and command' {
        $e = Export-ClutterSchedule $Sample -Format ScheduledTask -Destination $Out
        $tokens = $null; $errors = $null
        $ast = [Management.Automation.Language.Parser]::ParseFile($e.Path, [ref]$tokens, [ref]$errors)
        $errors | Should -BeNullOrEmpty
        $calls = $ast.FindAll({ $args[0] -is [Management.Automation.Language.CommandAst] -and $args[0].GetCommandName() -eq 'Register-ScheduledTask' }, $true)
        $calls.Count | Should -Be 4
        $ast.ParamBlock.Parameters.Name.VariablePath.UserPath | Should -Be @('User', 'TaskPath')
        foreach ($c in $calls) {
            $bound = [Management.Automation.Language.StaticParameterBinder]::BindCommand($c, $true)
            $job = $bound.BoundParameters['TaskName'].ConstantValue
            $Expected.ContainsKey($job) | Should -BeTrue
            [xml]$xml = $bound.BoundParameters['Xml'].Value.Value
            $xml.Task.Actions.Exec.Arguments | Should -Match "-NonInteractive -Command `"Invoke-ClutterBackupPlan -Path '.*' -Job '$job' -LogPath '.*$job\.log'`""
            $t = $xml.Task.Triggers.CalendarTrigger
            $t.StartBoundary | Should -Match ('T{0:00}:{1:00}:00$' -f [int]$Expected[$job].Split(' ')[1], [int]$Expected[$job].Split(' ')[0])
            switch ($job) {
                'weekly-full' { @($t.ScheduleByWeek.DaysOfWeek.ChildNodes.LocalName) | Should -Be @('Sunday') }
                'monthly-drill' { $t.ScheduleByMonth.DaysOfMonth.Day | Should -Be '1' }
                default { $t.ScheduleByDay.DaysInterval | Should -Be '1' }
            }
        }
    }

    It 'refuses what a scheduler cannot express, naming the job' {
        $p = New-Plan 'both-days' "@{ Jobs = @{ odd = @{ Schedule = '0 2 1 * 1'; Steps = @( @{ Name = 's'; Command = 'Get-ClutterBackup'; Parameters = @{ Location = '/tmp' } } ) } } }"
        { Export-ClutterSchedule $p -Format SystemdTimer } | Should -Throw -ErrorId 'PlanInvalidSchedule,*'
        (Export-ClutterSchedule $p -Format Cron).Content | Should -Match '(?m)^0 2 1 \* 1 '
    }
}
