# No secret anywhere: every exported cmdlet (and tab completion) runs in a child pwsh at -Verbose -Debug with a
# PostgreSQL password in the connection URI (of a login role made for this test; also in a keyword string, -Credential,
# PGPASSWORD and a passfile), an S3 secret key (-S3Credential, AWS_SECRET_ACCESS_KEY), an OpenPGP passphrase (symmetric
# backups and files) and a private key's passphrase, with AWS_SESSION_TOKEN (the S3 form of a bearer token:
# -S3Credential cannot carry one, so it sits in every child's environment, and the default chain sends it in the
# aws-environment case), on success, -WhatIf and failure paths. Everything a run leaves is scanned for every secret,
# raw and encoded (URL-encoded, JSON-escaped, base64 at each alignment, hex, UTF-16): every record of the six streams
# and of progress (serialized in full, exceptions with their inner exceptions), the child's stdout (host output, -WhatIf)
# and stderr, every file the run wrote (its folders, and the HOME and TMPDIR it was given), every S3 object (bytes,
# headers, user metadata, tags) read back with the AWS SDK of the module's bin/lib, and the command line of every
# process seen while the child ran (/proc/<pid>/cmdline, polled: passwords travel through the environment or a
# passfile, never a command line; Linux). Negative controls prove that each channel and the scanner itself report a planted
# secret.
BeforeDiscovery {
    # Each case runs its statements in one child pwsh. Statements see $Url (the role's password in the URI), $UrlNoPassword,
    # $DbCred (-Credential), $S3 (splat: -EndpointUrl, -S3Credential), $Bucket, $Out (a folder of the run's own), $Pub, $Sec,
    # $KeyPass, $BackupPass (SecureStrings), $Wrong* values, $Db, $Target*, $Endpoint.
    $script:Cases = @(
        @{ Name = 'backup-folder'; Expect = @{ 'ClutterDR.BackupInfo' = 3 }; ErrorIds = @(); Statements = @(
                'Backup-ClutterDatabase -ConnectionString $Url -Destination (Join-Path $Out "plain")'
                'Backup-ClutterDatabase -ConnectionString $Url -Destination (Join-Path $Shared "pass") -Passphrase $BackupPass'
                'Backup-ClutterDatabase -ConnectionString $UrlNoPassword -Credential $DbCred -Destination (Join-Path $Shared "enc") -Recipient $Pub'
            ) }
        @{ Name = 'backup-s3'; Expect = @{ 'ClutterDR.BackupInfo' = 3 }; ErrorIds = @(); Statements = @(
                'Backup-ClutterDatabase -ConnectionString $Url -Destination "s3://$Bucket/db" @S3'
                'Backup-ClutterDatabase -ConnectionString $Url -Destination "s3://$Bucket/db-pass" -Passphrase $BackupPass @S3'
                'Backup-ClutterDatabase -ConnectionString $UrlNoPassword -Credential $DbCred -Destination "s3://$Bucket/db-enc" -Recipient $Pub @S3'
            ) }
        @{ Name = 'list-and-age'; Expect = @{ 'ClutterDR.BackupInfo' = 4; 'ClutterDR.BackupAgeResult' = 2; 'System.Management.Automation.CompletionResult' = 2 }; ErrorIds = @(); Statements = @(
                'Get-ClutterBackup "s3://$Bucket/db" @S3'
                'Get-ClutterBackup "s3://$Bucket/db-pass" -Latest @S3'
                'Get-ClutterBackup (Join-Path $Shared "pass")'
                'Get-ClutterBackup "s3://$Bucket/db-enc" -Database $Db -Newest 1 @S3'
                'Test-ClutterBackupAge "s3://$Bucket/db" -MaxAge 48:00:00 @S3'
                'Test-ClutterBackupAge (Join-Path $Shared "enc") -MaxAge 48:00:00'
                # Tab completion asks S3 with the credential already typed
                '$c = "Restore-ClutterDatabase -EndpointUrl $Endpoint -S3Credential `$S3Cred -Location s3://$Bucket/db/$Db/"; (TabExpansion2 -inputScript $c -cursorColumn $c.Length).CompletionMatches'
                '$c = "Get-ClutterBackup -EndpointUrl $Endpoint -S3Credential `$S3Cred s3://$Bucket/db/ -Database "; (TabExpansion2 -inputScript $c -cursorColumn $c.Length).CompletionMatches'
            ) }
        @{ Name = 'test-backup'; Expect = @{ 'ClutterDR.BackupVerification' = 4 }; ErrorIds = @(); Statements = @(
                'Get-ClutterBackup "s3://$Bucket/db" -Latest @S3 | Test-ClutterBackup -Deep -S3Credential $S3.S3Credential'
                'Get-ClutterBackup "s3://$Bucket/db-pass" -Latest @S3 | Test-ClutterBackup -Deep -Passphrase $BackupPass -S3Credential $S3.S3Credential'
                'Get-ClutterBackup "s3://$Bucket/db-enc" -Latest @S3 | Test-ClutterBackup -Deep -PrivateKey $Sec -PrivateKeyPassphrase $KeyPass -S3Credential $S3.S3Credential'
                'Get-ClutterBackup (Join-Path $Shared "pass") -Latest | Test-ClutterBackup -Deep -Passphrase $BackupPass'
            ) }
        @{ Name = 'restore'; Expect = @{ 'ClutterDR.RestoreResult' = 3 }; ErrorIds = @(); Statements = @(
                'Get-ClutterBackup "s3://$Bucket/db-pass" -Latest @S3 | Restore-ClutterDatabase -TargetConnectionString $TargetUrl1 -CreateDatabase -Passphrase $BackupPass -S3Credential $S3.S3Credential -Confirm:$false'
                'Get-ClutterBackup (Join-Path $Shared "enc") -Latest | Restore-ClutterDatabase -TargetConnectionString $TargetUrl2NoPassword -Credential $DbCred -CreateDatabase -PrivateKey $Sec -PrivateKeyPassphrase $KeyPass -Confirm:$false'
                'Get-ClutterBackup "s3://$Bucket/db" -Latest @S3 | Restore-ClutterDatabase -TargetConnectionString $TargetUrl1 -Table items -Clean -S3Credential $S3.S3Credential -Confirm:$false'
                'Get-ClutterBackup "s3://$Bucket/db" -Latest @S3 | Restore-ClutterDatabase -TargetConnectionString $TargetUrl1 -Clean -S3Credential $S3.S3Credential -WhatIf'
            ) }
        @{ Name = 'sync'; Expect = @{ 'ClutterDR.SyncSummary' = 3 }; ErrorIds = @(); Statements = @(
                'Sync-ClutterStorage (Join-Path $Shared "pass") "s3://$Bucket/synced" -DestinationEndpointUrl $Endpoint -DestinationCredential $S3.S3Credential -PassThru'
                'Sync-ClutterStorage "s3://$Bucket/synced" (Join-Path $Out "back") -SourceEndpointUrl $Endpoint -SourceCredential $S3.S3Credential -Checksum -PassThru'
                'Sync-ClutterStorage "s3://$Bucket/synced" (Join-Path $Out "whatif") -SourceEndpointUrl $Endpoint -SourceCredential $S3.S3Credential -Delete -WhatIf'
            ) }
        @{ Name = 'snapshots'; Expect = @{ 'ClutterDR.StorageSnapshot' = 2; 'ClutterDR.StorageSnapshotFile' = 1; 'ClutterDR.StorageRestoreResult' = 2; 'ClutterDR.StorageSnapshotCheck' = 1 }; ErrorIds = @(); Statements = @(
                'Backup-ClutterStorage (Join-Path $Shared "pass") "s3://$Bucket/snaps" -DestinationEndpointUrl $Endpoint -DestinationCredential $S3.S3Credential -Passphrase $BackupPass'
                'Backup-ClutterStorage (Join-Path $Shared "pass") (Join-Path $Out "snaps") -Passphrase $BackupPass'
                'Get-ClutterStorageSnapshot "s3://$Bucket/snaps" -Latest @S3 | Get-ClutterStorageFile @S3 | Select-Object -First 1'
                'Get-ClutterStorageSnapshot "s3://$Bucket/snaps" -Latest @S3 | Restore-ClutterStorage -Destination (Join-Path $Out "media") -Passphrase $BackupPass @S3 -Confirm:$false'
                'Restore-ClutterStorage (Join-Path $Out "snaps") "s3://$Bucket/media-restored" -Passphrase $BackupPass -DestinationEndpointUrl $Endpoint -DestinationCredential $S3.S3Credential -WhatIf'
                'Get-ClutterStorageSnapshot "s3://$Bucket/snaps" -Latest @S3 | Test-ClutterStorageSnapshot -Deep -Passphrase $BackupPass @S3'
            ) }
        @{ Name = 'snapshot-failures'; Expect = @{}; ErrorIds = @('ObjectTableNotFound'); Statements = @(
                'Test-ClutterStorageSnapshot "s3://$Bucket/snaps" @S3 -ConnectionString $Url -ObjectTable storage.objects -Bucket media'
            ) }
        @{ Name = 'debris'; Expect = @{}; ErrorIds = @(); Statements = @(
                # Nothing is left to clear (every backup above committed), but the listing of uploads and of
                # partial files still runs with the credential and the passphrase-free options, verbosely.
                'Clear-ClutterBackupDebris "s3://$Bucket/db" -OlderThan 00:00:00 @S3 -Confirm:$false'
                'Clear-ClutterBackupDebris (Join-Path $Shared "pass") -OlderThan 00:00:00 -Confirm:$false'
            ) }
        @{ Name = 'retention'; Expect = @{ 'ClutterDR.BackupInfo' = 2; 'ClutterDR.RetentionDecision' = 2 }; ErrorIds = @(); Statements = @(
                # Pins are sidecar objects written with the credential; the policies list, read manifests and (WhatIf) delete nothing they keep.
                'Get-ClutterBackup "s3://$Bucket/db" -Latest @S3 | Set-ClutterBackup -Pinned $true -S3Credential $S3.S3Credential -PassThru'
                'Get-ClutterBackup (Join-Path $Shared "pass") -Latest | Set-ClutterBackup -Pinned $false -PassThru'
                'Remove-ClutterBackup "s3://$Bucket/db" -KeepLast 1 -IncludeOrphans @S3 -PassThru -Confirm:$false'
                'Remove-ClutterBackup (Join-Path $Shared "pass") -KeepDaily 7 -PassThru -WhatIf'
            ) }
        @{ Name = 'files'; Expect = @{ 'System.IO.FileInfo' = 4 }; ErrorIds = @(); Statements = @(
                'Set-Content -LiteralPath (Join-Path $Out "app.env") -Value "DATABASE_URL=redacted"'
                'Protect-ClutterFile -LiteralPath (Join-Path $Out "app.env") -Passphrase $BackupPass -Armor'
                'Protect-ClutterFile -LiteralPath (Join-Path $Out "app.env") -Destination (Join-Path $Out "whatif.gpg") -Passphrase $BackupPass -WhatIf'
                'Protect-ClutterFile -LiteralPath (Join-Path $Out "app.env") -Destination (Join-Path $Out "app.env.gpg") -Recipient $Pub'
                'Unprotect-ClutterFile -LiteralPath (Join-Path $Out "app.env.asc") -Destination (Join-Path $Out "app.1.env") -Passphrase $BackupPass'
                'Unprotect-ClutterFile -LiteralPath (Join-Path $Out "app.env.gpg") -Destination (Join-Path $Out "app.2.env") -PrivateKey $Sec -PrivateKeyPassphrase $KeyPass'
            ) }
        @{ Name = 'failures'; Expect = @{}; Statements = @(
                'Backup-ClutterDatabase -ConnectionString $WrongPasswordUrl -Destination (Join-Path $Out "x1")'
                'Backup-ClutterDatabase -ConnectionString $MissingDbUrl -Destination (Join-Path $Out "x2")'
                'Backup-ClutterDatabase -ConnectionString $ClosedPortUrl -Destination (Join-Path $Out "x3")'
                'Backup-ClutterDatabase -ConnectionString $BadUrl -Destination (Join-Path $Out "x4")'
                'Backup-ClutterDatabase -ConnectionString $BadKeywordString -Destination (Join-Path $Out "x4k")'
                'Backup-ClutterDatabase -ConnectionString $WrongKeywordString -Destination (Join-Path $Out "x4w")'
                'Backup-ClutterDatabase -ConnectionString $Url -Destination "s3://$Bucket/x5" -EndpointUrl $Endpoint -S3Credential $WrongKeyIdCred'
                'Get-ClutterBackup "s3://$Bucket/db" -EndpointUrl $DeadEndpoint -S3Credential $S3.S3Credential'
                'Get-ClutterBackup (Join-Path $Shared "pass") -Latest | Test-ClutterBackup -Passphrase $WrongPass'
                'Get-ClutterBackup (Join-Path $Shared "enc") -Latest | Restore-ClutterDatabase -TargetConnectionString $TargetUrl3 -CreateDatabase -PrivateKey $Sec -PrivateKeyPassphrase $WrongPass -Confirm:$false'
                'Restore-ClutterDatabase -Location (Get-ClutterBackup (Join-Path $Shared "pass") -Latest).Location -TargetConnectionString $WrongPasswordUrl -Passphrase $BackupPass -Confirm:$false'
                'Get-ClutterBackup "s3://$Bucket/db-pass" -Latest @S3 | Restore-ClutterDatabase -TargetConnectionString $TargetUrl1 -Clean -Passphrase $BackupPass -S3Credential $S3.S3Credential'
                'Get-ChildItem -LiteralPath (Join-Path $Shared "pass") -Recurse -Filter *.gpg | Select-Object -First 1 | Unprotect-ClutterFile -Destination (Join-Path $Out "x.dump") -Passphrase $WrongPass'
            )
            ErrorIds = @('AuthenticationFailed', 'DatabaseNotFound', 'ServerUnreachable', 'InvalidConnectionString', 'S3AccessDenied', 'S3Unreachable', 'DecryptionFailed', 'ConfirmationRequired') }
        # Secrets from the environment (and a passfile): Environment maps a variable to a secret's name, or to a value.
        @{ Name = 'pg-environment'; Expect = @{ 'ClutterDR.BackupInfo' = 2; 'ClutterDR.RestoreResult' = 1 }; ErrorIds = @()
            Environment = @{ PGPASSWORD = 'PgPassword' }; Statements = @(
                'Backup-ClutterDatabase -ConnectionString $UrlNoPassword -Destination (Join-Path $Out "env")'
                'Backup-ClutterDatabase -ConnectionString $KeywordString -Destination (Join-Path $Out "keyword")'
                'Get-ClutterBackup (Join-Path $Out "env") -Latest | Restore-ClutterDatabase -TargetConnectionString $TargetUrl1 -Clean -Confirm:$false'
            ) }
        @{ Name = 'pgpass-file'; Expect = @{ 'ClutterDR.BackupInfo' = 1 }; ErrorIds = @(); Environment = @{ PGPASSFILE = '{PassFile}' }; Statements = @(
                'Backup-ClutterDatabase -ConnectionString $UrlNoPassword -Destination (Join-Path $Out "passfile")'
            ) }
        # A plan: the connection string from the environment (FromEnvironment), the S3 key from -Secret (FromSecret).
        @{ Name = 'plan'; Expect = @{ 'ClutterDR.PlanResult' = 2; 'System.Boolean' = 1; 'ClutterDR.ScheduleEntry' = 1 }; ErrorIds = @(); Statements = @(
                '$env:PLAN_DB_URL = $Url'
                '$plan = Join-Path $Out "plan.psd1"; Set-Content -LiteralPath $plan -Value "@{ Defaults = @{ EndpointUrl = ''$Endpoint''; S3Credential = @{ FromSecret = ''s3'' } }; Jobs = @{ nightly = @{ Schedule = ''0 2 * * *''; Steps = @( @{ Name = ''db''; Command = ''Backup-ClutterDatabase''; Parameters = @{ ConnectionString = @{ FromEnvironment = ''PLAN_DB_URL'' }; Destination = ''s3://$Bucket/plan'' } }, @{ Name = ''age''; Command = ''Test-ClutterBackupAge''; DependsOn = ''db''; Parameters = @{ Location = ''s3://$Bucket/plan'' } } ) } } }"'
                'Test-ClutterBackupPlan (Join-Path $Out "plan.psd1") -Secret @{ s3 = $S3.S3Credential }'
                'Invoke-ClutterBackupPlan (Join-Path $Out "plan.psd1") -Secret @{ s3 = $S3.S3Credential } -LogPath (Join-Path $Out "plan.log")'
                'Invoke-ClutterBackupPlan (Join-Path $Out "plan.psd1") -Secret @{ s3 = $S3.S3Credential } -LogPath (Join-Path $Out "plan.log") -WhatIf'
                'Export-ClutterSchedule (Join-Path $Out "plan.psd1") -Format Cron -Destination (Join-Path $Out "schedule")'
            ) }
        @{ Name = 'aws-environment'; Expect = @{}; ErrorIds = @(); Environment = @{ AWS_ACCESS_KEY_ID = '{AccessKey}'; AWS_SECRET_ACCESS_KEY = 'S3Secret' }; Statements = @(
                'Get-ClutterBackup "s3://$Bucket/db" -EndpointUrl $Endpoint'
                'Test-ClutterBackupAge "s3://$Bucket/db-enc" -MaxAge 48:00:00 -EndpointUrl $Endpoint'
            ) }
        # The recovery checklist and the incident report: the checks name host:port/database and locations, never a
        # password or a key; the report is written from them.
        @{ Name = 'recovery'; Expect = @{ 'ClutterDR.RecoveryCheck' = 28; 'System.IO.FileInfo' = 1 }; ErrorIds = @(); Statements = @(
                'Get-ClutterBackup "s3://$Bucket/db" -Latest @S3 | Test-ClutterRecovery -ConnectionString $Url -ExpectedTable items -StorageLocation "s3://$Bucket/db" @S3'
                'Test-ClutterRecovery -ConnectionString $UrlNoPassword -Credential $DbCred -RequiredExtension plpgsql -StorageLocation (Join-Path $Shared "pass")'
                'Test-ClutterRecovery -ConnectionString $Url -ExpectedTable items | New-ClutterIncidentReport -Path (Join-Path $Out "incident.md") -Title "Secrets" -DetectedAt (Get-Date).AddHours(-1)'
                'Test-ClutterRecovery -ConnectionString $Url | New-ClutterIncidentReport -Path (Join-Path $Out "whatif.md") -Title "Secrets" -WhatIf'
            ) }
        @{ Name = 'recovery-failures'; Expect = @{}; ErrorIds = @('RecoveryCheckFailed', 'IncidentReportExists'); Statements = @(
                'Test-ClutterRecovery -ConnectionString $WrongPasswordUrl -HealthUri "http://127.0.0.1:1/health" -StorageLocation "s3://$Bucket/db" -EndpointUrl $Endpoint -S3Credential $WrongKeyIdCred'
                'Test-ClutterRecovery -ConnectionString $ClosedPortUrl -SampleObject "s3://$Bucket/db/missing.jpg" @S3'
                'Set-Content -LiteralPath (Join-Path $Out "exists.md") -Value "x"; Test-ClutterRecovery -ConnectionString $WrongPasswordUrl | New-ClutterIncidentReport -Path (Join-Path $Out "exists.md") -Title "t"'
            ) }
        # The restore drill: its recorded JSON (beside the backups, in $Shared and the bucket) is scanned with the rest.
        @{ Name = 'drill'; Expect = @{ 'ClutterDR.DrillResult' = 4; 'ClutterDR.BackupAgeResult' = 1 }; ErrorIds = @(); Statements = @(
                'Test-ClutterRestore (Join-Path $Shared "pass") -ConnectionString $Url -AllowSourceServer -Passphrase $BackupPass -Query @{ rows = "select count(*) > 0 from items" }'
                'Get-ClutterBackup "s3://$Bucket/db" -Latest @S3 | Test-ClutterRestore -ConnectionString $UrlNoPassword -Credential $DbCred -AllowSourceServer -S3Credential $S3.S3Credential'
                'Test-ClutterRestore "s3://$Bucket/db" -ConnectionString $Url -AllowSourceServer -WhatIf @S3'
                'Get-ClutterDrill (Join-Path $Shared "pass")'
                'Get-ClutterDrill "s3://$Bucket/db" -Latest @S3'
                'Test-ClutterBackupAge (Join-Path $Shared "pass") -MaxDrillAge 35.00:00:00'
                'Copy-Item -Recurse -LiteralPath (Join-Path $Shared "pass" $Db "drills") -Destination (Join-Path $Out "drills")'
            ) }
        # The audit trail (in the test database: these cases run last, so no earlier backup holds its rows), notifications
        # received by a listener of the child's own (their bodies written to a file that is scanned), configuration backups.
        @{ Name = 'audit'; Expect = @{ 'ClutterDR.BackupInfo' = 1; 'ClutterDR.SyncSummary' = 1; 'ClutterDR.AuditEntry' = 2 }; ErrorIds = @(); Statements = @(
                'Initialize-ClutterAuditLog -ConnectionString $Url'
                'Initialize-ClutterAuditLog -ConnectionString $UrlNoPassword -Credential $DbCred'
                'Backup-ClutterDatabase -ConnectionString $Url -Destination (Join-Path $Shared "aud") -Passphrase $BackupPass -AuditConnectionString $KeywordString'
                'Sync-ClutterStorage (Join-Path $Shared "aud") "s3://$Bucket/aud-synced" -DestinationEndpointUrl $Endpoint -DestinationCredential $S3.S3Credential -AuditConnectionString $Url'
                'Get-ClutterAuditLog -ConnectionString $Url -Last 2 | Format-List * | Out-String | Write-Verbose'
                'Get-ClutterAuditLog -ConnectionString $UrlNoPassword -Credential $DbCred -Status success -Last 2'
            ) }
        @{ Name = 'audit-failures'; Expect = @{}; Statements = @(
                'Backup-ClutterDatabase -ConnectionString $WrongPasswordUrl -Destination (Join-Path $Out "audx") -AuditConnectionString $Url'
                'Backup-ClutterDatabase -ConnectionString $MissingDbUrl -Destination (Join-Path $Out "audy") -AuditConnectionString $Url'
                'Restore-ClutterDatabase -Location (Get-ClutterBackup (Join-Path $Shared "aud") -Latest).Location -TargetConnectionString $WrongPasswordUrl -Passphrase $BackupPass -Confirm:$false -AuditConnectionString $Url'
                'Backup-ClutterDatabase -ConnectionString $Url -Destination (Join-Path $Out "audz") -AuditConnectionString $ClosedPortUrl'
                'Get-ClutterAuditLog -ConnectionString $Url -Status failed'
                'Get-ClutterAuditLog -ConnectionString $WrongPasswordUrl'
            )
            ErrorIds = @('AuthenticationFailed', 'DatabaseNotFound') }
        @{ Name = 'notify'; Expect = @{}; Statements = @(
                ". '$PSScriptRoot/_TestListener.ps1'; `$L = Start-TestListener; `$Hook = `"`$(`$L.Url)/hook?token=`$([uri]::EscapeDataString((`$BackupPass | ConvertFrom-SecureString -AsPlainText)))`""
                'Get-ClutterBackup (Join-Path $Shared "pass") -Latest | Send-ClutterNotification -Uri $Hook -Format Json -PassThru'
                '$null = Backup-ClutterDatabase -ConnectionString $WrongPasswordUrl -Destination (Join-Path $Out "n1") -ErrorAction SilentlyContinue -ErrorVariable failed; $failed | Send-ClutterNotification -Uri $Hook -Format Slack -HeartbeatUri "$($L.Url)/ping/abc"'
                'Send-ClutterNotification -Uri $Hook -Format Teams -Status Failed -Message "restore of $Url failed"'
                '$L.State.Script.Enqueue(404); Send-ClutterNotification -Uri $Hook -Status Start'
                'Send-ClutterNotification -Uri "http://user:$([uri]::EscapeDataString(($KeyPass | ConvertFrom-SecureString -AsPlainText)))@127.0.0.1:$($p.ClosedPort)/x" -Status Success -MaxRetries 0'
                '(Get-TestRequests $L).Body | Set-Content -LiteralPath (Join-Path $Out "received.txt"); Stop-TestListener $L'
            )
            ErrorIds = @('NotificationFailed') }
        @{ Name = 'config'; Expect = @{ 'ClutterDR.BackupInfo' = 3; 'System.IO.FileInfo' = 2 }; ErrorIds = @(); Environment = @{ APP_DATABASE_URL = 'PgPassword'; APP_S3_SECRET = 'S3Secret' }; Statements = @(
                ". '$PSScriptRoot/_TestListener.ps1'; `$L = Start-TestListener; `$L.State.Token = `$KeyPass | ConvertFrom-SecureString -AsPlainText; `$L.State.Document = '{`"project`":`"abcd`"}'"
                'Backup-ClutterConfiguration -Destination "s3://$Bucket/config" @S3 -Name app -EnvironmentVariable APP_* -Uri "$($L.Url)/config/p" -BearerToken $KeyPass -Passphrase $BackupPass'
                'Backup-ClutterConfiguration -Destination (Join-Path $Shared "config") -EnvironmentVariable APP_DATABASE_URL -Recipient $Pub -AuditConnectionString $Url'
                'Backup-ClutterConfiguration -Destination (Join-Path $Out "cfg") -Uri "$($L.Url)/config/p" -BearerToken $KeyPass'
                'Get-ClutterBackup (Join-Path $Out "cfg") -Kind Config -Latest | Restore-ClutterConfiguration -Destination (Join-Path $Out "cfg-out")'
                'Get-ClutterBackup "s3://$Bucket/config" -Kind Config -Latest @S3 | Restore-ClutterConfiguration -Destination (Join-Path $Out "x") -Passphrase $BackupPass -S3Credential $S3.S3Credential -WhatIf'
                'Stop-TestListener $L'
            ) }
        @{ Name = 'config-failures'; Expect = @{}; Environment = @{ APP_DATABASE_URL = 'PgPassword' }; Statements = @(
                ". '$PSScriptRoot/_TestListener.ps1'; `$L = Start-TestListener; `$L.State.Token = 'another-token'"
                'Backup-ClutterConfiguration -Destination (Join-Path $Out "c1") -EnvironmentVariable APP_*'
                'Backup-ClutterConfiguration -Destination (Join-Path $Out "c2") -Uri "$($L.Url)/config/p?key=$([uri]::EscapeDataString(($WrongPass | ConvertFrom-SecureString -AsPlainText)))" -BearerToken $KeyPass'
                'Get-ClutterBackup (Join-Path $Shared "config") -Kind Config -Latest | Restore-ClutterConfiguration -Destination (Join-Path $Out "c3") -PrivateKey $Sec -PrivateKeyPassphrase $WrongPass'
                'Stop-TestListener $L'
            )
            ErrorIds = @('ConfigSecretsNeedEncryption', 'ConfigSourceFailed', 'DecryptionFailed') }
    )
}

Describe 'Secrets' -ForEach @(@{ Cases = $Cases }) {
    BeforeAll {
        . (Join-Path $PSScriptRoot '_TestHelpers.ps1')
        $script:Pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
        $script:ModuleLib = Join-Path (Split-Path -Parent $env:CLUTTERDR_MODULE_PATH) 'bin' 'lib'
        $script:Root = New-TestFolder
        $script:Shared = Join-Path $Root 'shared'        # backups several cases read
        $null = New-Item -ItemType Directory -Path $Shared
        $tag = [guid]::NewGuid().ToString('N').Substring(0, 10)

        # Each secret has a distinctive core (letters, digits, dashes: it survives most encodings as is) and special
        # characters around it that the URI must escape.
        $script:Secrets = [ordered]@{
            PgPassword      = "PgPw-$tag-core7Q@x:/!y"
            WrongPgPassword = "PgWrongPw-$tag-core3@z:/"
            BackupPass      = "BackupPass-$tag-core5 +&<'"
            KeyPass         = "KeyPass-$tag-core9 ~=;"
            WrongPass       = "WrongPass-$tag-core2 %"
            S3Secret        = "S3Secret-$tag-core4/Zk+=="
            SessionToken    = "IQoJb3JpZ2luX2VjE-SessionToken-$tag-core8/+Ab=="
        }
        # s3rver checks the access key id, not the secret: then a distinctive secret is used. A server that checks it
        # (Ceph RGW) gets its own secret, which must then be distinctive enough to scan for.
        $script:Endpoint = $S3Endpoint
        $script:Bucket = New-TestBucket -Prefix 'sec'
        $probe = [pscredential]::new($env:CLUTTERDR_TEST_S3_ACCESS_KEY, (ConvertTo-SecureString $Secrets.S3Secret -AsPlainText -Force))
        $null = Get-ClutterBackup "s3://$Bucket/probe" -EndpointUrl $Endpoint -S3Credential $probe -ErrorVariable probeError -ErrorAction SilentlyContinue
        if ($probeError) {
            $real = $env:CLUTTERDR_TEST_S3_SECRET_KEY
            if ($real.Length -lt 12 -or $real -eq $env:CLUTTERDR_TEST_S3_ACCESS_KEY) { throw "The S3 server checks the secret, and its secret '$real' is too plain to scan for." }
            $Secrets.S3Secret = $real
        }

        # A login role of our own with a distinctive password (the server takes scram-sha-256 over TCP).
        $script:Role = "sec_$tag"
        Invoke-TestPsql -Command "create role $Role login superuser password '$($Secrets.PgPassword -replace "'", "''")'" | Out-Null
        $script:Db = New-TestDatabase -Prefix 'sec' -Sql 'create table items (id int primary key, name text); insert into items select g, md5(g::text) from generate_series(1, 300) g'
        $script:Targets = 1..3 | ForEach-Object { "sect_${tag}_$_" }
        # A passfile outside the folders the runs write (which are scanned): host:port:database:user:password.
        $script:PassFile = Join-Path $Root 'pgpass'
        Set-Content -LiteralPath $PassFile -Value "*:*:*:${Role}:$($Secrets.PgPassword -replace '([\\:])', '\$1')"
        if (-not $IsWindows) { chmod 600 $PassFile }

        # An ed25519 + cv25519 key made by gpg, its secret part protected by the passphrase (given on stdin, not argv).
        if (-not (Get-Command gpg -ErrorAction Ignore)) { throw 'gpg is not installed (Debian package gnupg); .ci/run installs it.' }
        $script:GpgHome = Join-Path $Root 'gnupg'
        $null = New-Item -ItemType Directory -Path $GpgHome
        if (-not $IsWindows) { chmod 700 $GpgHome }
        function Invoke-Gpg([string[]]$Arguments, [string]$Passphrase) {
            $psi = [Diagnostics.ProcessStartInfo]::new('gpg')
            $base = @('--homedir', $GpgHome, '--batch', '--yes', '--quiet', '--pinentry-mode', 'loopback')
            if ($Passphrase) { $base += @('--passphrase-fd', '0') }
            foreach ($a in $base + $Arguments) { $psi.ArgumentList.Add($a) }
            $psi.RedirectStandardInput = $true; $psi.RedirectStandardError = $true; $psi.RedirectStandardOutput = $true; $psi.UseShellExecute = $false
            $p = [Diagnostics.Process]::Start($psi)
            if ($Passphrase) { $p.StandardInput.WriteLine($Passphrase) }
            $p.StandardInput.Close()
            $out = $p.StandardOutput.ReadToEndAsync(); $err = $p.StandardError.ReadToEnd(); $p.WaitForExit()
            if ($p.ExitCode -ne 0) { throw "gpg $($Arguments -join ' ') failed ($($p.ExitCode)): $err" }
            $out.Result
        }
        $null = Invoke-Gpg @('--quick-gen-key', 'Secrets Test <secrets@example.com>', 'ed25519', 'sign', '0') -Passphrase $Secrets.KeyPass
        $fpr = ((Invoke-Gpg @('--with-colons', '--list-keys', 'secrets@example.com')) -split "`n" | Where-Object { $_ -like 'fpr:*' } | Select-Object -First 1).Split(':')[9]
        $null = Invoke-Gpg @('--quick-add-key', $fpr, 'cv25519', 'encr', '0') -Passphrase $Secrets.KeyPass
        $script:Pub = Join-Path $Root 'key.pub.asc'; $null = Invoke-Gpg @('--armor', '--output', $Pub, '--export', $fpr)
        $script:Sec = Join-Path $Root 'key.sec.asc'; $null = Invoke-Gpg @('--armor', '--output', $Sec, '--export-secret-keys', $fpr) -Passphrase $Secrets.KeyPass
        & gpgconf --homedir $GpgHome --kill gpg-agent 2>$null

        # --- The scanner: every form of every secret, over bytes (a Latin-1 view maps each byte to one char). ---
        $script:Latin1 = [Text.Encoding]::Latin1
        function Get-SecretForms([string]$Secret) {
            $utf8 = [Text.Encoding]::UTF8.GetBytes($Secret)
            $core = [string](@([regex]::Matches($Secret, '[A-Za-z0-9-]{12,}') | Sort-Object { $_.Length } -Descending | Select-Object -First 1) | ForEach-Object Value)
            $forms = [ordered]@{
                raw          = $Secret
                core         = $core
                url          = [uri]::EscapeDataString($Secret)
                urlLower     = [regex]::Replace([uri]::EscapeDataString($Secret), '%[0-9A-F]{2}', { $args[0].Value.ToLowerInvariant() })
                form         = [Net.WebUtility]::UrlEncode($Secret)
                json         = ([Text.Json.JsonSerializer]::Serialize($Secret, [string], [Text.Json.JsonSerializerOptions]$null)).Trim('"')
                hex          = [Convert]::ToHexString($utf8)
                utf16        = $Latin1.GetString([Text.Encoding]::Unicode.GetBytes($Secret))
            }
            # base64 of the secret at each of the three alignments inside a longer buffer: the characters that depend on
            # the secret's bytes alone (first and last group dropped), standard and URL-safe alphabets.
            foreach ($shift in 0, 1, 2) {
                $b64 = [Convert]::ToBase64String([byte[]]@(@(0) * $shift) + $utf8)
                $inner = $b64.Substring(4, [Math]::Max(0, $b64.Length - 8))
                $forms["base64_$shift"] = $inner
                $forms["base64url_$shift"] = $inner.Replace('+', '-').Replace('/', '_')
            }
            $forms
        }
        $script:Needles = foreach ($name in $Secrets.Keys) {
            foreach ($f in (Get-SecretForms $Secrets[$name]).GetEnumerator()) {
                if ($f.Value.Length -ge 12) { [pscustomobject]@{ Secret = $name; Form = $f.Key; Text = $f.Value; IgnoreCase = $f.Key -in 'hex', 'url', 'urlLower', 'form' } }
            }
        }
        # Where any needle occurs in $Bytes (or a string): "<where>: <secret> as <form>".
        function Find-Secret([object]$Data, [string]$Where) {
            $text = if ($Data -is [byte[]]) { $Latin1.GetString($Data) } else { $Latin1.GetString([Text.Encoding]::UTF8.GetBytes([string]$Data)) }
            foreach ($n in $Needles) {
                $needle = $Latin1.GetString([Text.Encoding]::UTF8.GetBytes($n.Text))
                if ($n.Form -eq 'utf16') { $needle = $n.Text }
                $cmp = $n.IgnoreCase ? [StringComparison]::OrdinalIgnoreCase : [StringComparison]::Ordinal
                if ($text.IndexOf($needle, $cmp) -ge 0) { "$($Where -replace '\p{C}', '?'): $($n.Secret) as $($n.Form)" }
            }
        }

        # --- The command-line poller: every process seen while a child runs, /proc/<pid>/cmdline read in a tight loop. ---
        if (-not ('ClutterDRTests.CmdlinePoller' -as [type])) {
            Add-Type -TypeDefinition @'
using System; using System.Collections.Concurrent; using System.IO; using System.Threading;
namespace ClutterDRTests {
    public sealed class CmdlinePoller : IDisposable {
        private readonly ConcurrentDictionary<string, byte> _seen = new ConcurrentDictionary<string, byte>();
        private volatile bool _stop; private readonly Thread _thread; public int Scans;
        public CmdlinePoller() { _thread = new Thread(Run) { IsBackground = true }; _thread.Start(); }
        private void Run() {
            while (!_stop) {
                foreach (var dir in Directory.EnumerateDirectories("/proc")) {
                    var name = Path.GetFileName(dir);
                    if (name.Length == 0 || !char.IsDigit(name[0])) continue;
                    try {
                        var bytes = File.ReadAllBytes(Path.Combine(dir, "cmdline"));
                        if (bytes.Length == 0) continue;
                        _seen.TryAdd(name + " " + System.Text.Encoding.UTF8.GetString(bytes).Replace('\0', ' ').TrimEnd(), 0);
                    } catch (IOException) { } catch (UnauthorizedAccessException) { }
                }
                Interlocked.Increment(ref Scans);
                Thread.Sleep(1);
            }
        }
        public string[] Stop() { _stop = true; _thread.Join(); var a = new string[_seen.Count]; _seen.Keys.CopyTo(a, 0); return a; }
        public void Dispose() { if (!_stop) Stop(); }
    }
}
'@
        }

        # The child: statements in a fresh pwsh, all streams of each captured and serialized (records and $Error in full).
        $script:ChildScript = Join-Path $Root 'child.ps1'
        Set-Content -LiteralPath $ChildScript -Value @'
param([string]$ParamsFile, [string]$CaptureDir)
$PSStyle.OutputRendering = 'PlainText'
$p = Get-Content -Raw -LiteralPath $ParamsFile | ConvertFrom-Json
# The statements run in a runspace of their own, so that every stream, progress included, is collected as records.
# The child's own host: what goes to the host (Write-Host, -WhatIf messages) reaches stdout, which the parent captures.
$rs = [runspacefactory]::CreateRunspace($Host); $rs.Open()
$rs.SessionStateProxy.SetVariable('p', $p)
$ps = [powershell]::Create(); $ps.Runspace = $rs
$null = $ps.AddScript({
    $PSStyle.OutputRendering = 'PlainText'
    $ErrorActionPreference = 'Continue'
    $VerbosePreference = 'Continue'; $DebugPreference = 'Continue'; $InformationPreference = 'Continue'; $WarningPreference = 'Continue'
    $ProgressPreference = 'Continue'
    $s = $env:CLUTTERDR_SECRETS_JSON | ConvertFrom-Json
    Remove-Item Env:CLUTTERDR_SECRETS_JSON
    Import-Module $p.ModulePath
    $PSDefaultParameterValues = @{ '*-Clutter*:Verbose' = $true; '*-Clutter*:Debug' = $true }
    function Secure([string]$t) { ConvertTo-SecureString $t -AsPlainText -Force }
    function PgUrl([string]$Password, [string]$Database, [string]$Port = $p.PgPort) {
        $auth = $Password ? "$($p.Role):$([uri]::EscapeDataString($Password))" : $p.Role
        "postgresql://$auth@$($p.PgHost):$Port/$Database"
    }
    $Db = $p.Db; $Bucket = $p.Bucket; $Endpoint = $p.Endpoint; $Out = $p.Out; $Shared = $p.Shared; $Pub = $p.Pub; $Sec = $p.Sec
    $Url = PgUrl $s.PgPassword $Db
    $UrlNoPassword = PgUrl '' $Db
    $DbCred = [pscredential]::new($p.Role, (Secure $s.PgPassword))
    $S3 = @{ EndpointUrl = $Endpoint; S3Credential = [pscredential]::new($p.AccessKey, (Secure $s.S3Secret)) }
    $S3Cred = $S3.S3Credential
    $KeyPass = Secure $s.KeyPass; $BackupPass = Secure $s.BackupPass; $WrongPass = Secure $s.WrongPass
    $TargetUrl1 = PgUrl $s.PgPassword $p.Targets[0]; $TargetUrl2NoPassword = PgUrl '' $p.Targets[1]; $TargetUrl3 = PgUrl $s.PgPassword $p.Targets[2]
    $WrongPasswordUrl = PgUrl $s.WrongPgPassword $Db
    $MissingDbUrl = PgUrl $s.PgPassword "$($Db)_missing"
    $ClosedPortUrl = PgUrl $s.PgPassword $Db $p.ClosedPort
    $BadUrl = "postgresql://$($p.Role):$([uri]::EscapeDataString($s.PgPassword))@$($p.PgHost):notaport/$Db"
    $KeywordString = "Host=$($p.PgHost);Port=$($p.PgPort);Username=$($p.Role);Password='$($s.PgPassword)';Database=$Db"
    $BadKeywordString = "Host=$($p.PgHost);Port=notaport;Username=$($p.Role);Password='$($s.PgPassword)';Database=$Db;Bogus=1"
    $WrongKeywordString = "Host=$($p.PgHost);Port=$($p.PgPort);Username=$($p.Role);Password='$($s.WrongPgPassword)';Database=$Db"
    $WrongKeyIdCred = [pscredential]::new('NOSUCHKEYID', (Secure $s.S3Secret))
    $DeadEndpoint = "http://127.0.0.1:$($p.ClosedPort)"
    $s = $null
}.ToString()).Invoke()
if ($ps.HadErrors) { [Console]::Error.WriteLine("setup failed: $($ps.Streams.Error -join '; ')"); exit 1 }

$records = [Collections.Generic.List[object]]::new()
$summary = [Collections.Generic.List[object]]::new()
$i = 0
foreach ($statement in $p.Statements) {
    $i++
    $ps.Commands.Clear(); $ps.Streams.ClearStreams()
    $got = [Collections.Generic.List[object]]::new()
    try { foreach ($o in $ps.AddScript($statement).Invoke()) { $got.Add(@('Output', $o)) } }
    catch { $got.Add(@('Error', ($_.Exception.InnerException.ErrorRecord ?? $_))) }
    foreach ($stream in 'Error', 'Warning', 'Verbose', 'Debug', 'Information', 'Progress') {
        foreach ($r in $ps.Streams.$stream) { $got.Add(@($stream, $r)) }
    }
    foreach ($g in $got) {
        $r = $g[1]
        $summary.Add([pscustomobject]@{ Statement = $i; Stream = $g[0]; Type = $r.PSObject.TypeNames[0]
                ErrorId = ($r -is [Management.Automation.ErrorRecord]) ? $r.FullyQualifiedErrorId : $null })
        $records.Add($r)
    }
}
$ps.Commands.Clear()
$nestedErrors = @($ps.AddScript('$Error').Invoke())   # every error of the runspace, also those a statement handled
$text = [Text.StringBuilder]::new()
foreach ($r in @($records) + $nestedErrors + @($Error)) {
    $null = $text.AppendLine("----- $($r.PSObject.TypeNames[0])")
    $null = $text.AppendLine(($r | Out-String -Width 10000))
    $null = $text.AppendLine(($r | Format-List * -Force | Out-String -Width 10000))
    if ($r -is [Management.Automation.ErrorRecord]) {
        $null = $text.AppendLine($r.Exception.ToString())
        for ($e = $r.Exception; $e; $e = $e.InnerException) { $null = $text.AppendLine(($e | Format-List * -Force | Out-String -Width 10000)) }
        $null = $text.AppendLine(($r.TargetObject | Format-List * -Force | Out-String -Width 10000))
        $null = $text.AppendLine([string]$r.ErrorDetails)
    }
}
Set-Content -LiteralPath (Join-Path $CaptureDir 'records.txt') -Value $text.ToString()
@($records) + $nestedErrors + @($Error) | Export-Clixml -LiteralPath (Join-Path $CaptureDir "records.clixml") -Depth 4
$summary | ConvertTo-Json -Depth 3 | Set-Content -LiteralPath (Join-Path $CaptureDir 'summary.json')
$text.ToString()   # to stdout as well
'@

        $script:ClosedPort = & {
            $l = [Net.Sockets.TcpListener]::new([Net.IPAddress]::Loopback, 0); $l.Start(); $port = $l.LocalEndpoint.Port; $l.Stop(); $port
        }

        # Runs one case: returns the findings (leaks, with where), the summary, the command lines seen.
        function Invoke-SecretRun {
            param([string]$Name, [string[]]$Statements, [hashtable]$Environment = @{}, [hashtable]$Plant = @{})
            $dir = Join-Path $Root "run-$Name"
            $capture = Join-Path $dir 'capture'; $out = Join-Path $dir 'out'
            # HOME and TMPDIR of the child are folders of the run: whatever it writes there (caches, temporary files) is scanned too.
            $childHome = Join-Path $dir 'home'; $childTemp = Join-Path $dir 'tmp'
            $null = New-Item -ItemType Directory -Path $capture, $out, $childHome, $childTemp -Force
            $params = [ordered]@{
                ModulePath = $env:CLUTTERDR_MODULE_PATH; Statements = $Statements; Db = $Db; Bucket = $Bucket; Endpoint = $Endpoint
                Out = $out; Shared = $Shared; Pub = $Pub; Sec = $Sec; Role = $Role; Targets = $Targets
                PgHost = $env:CLUTTERDR_TEST_PG_HOST; PgPort = $env:CLUTTERDR_TEST_PG_PORT; ClosedPort = $ClosedPort
                AccessKey = $env:CLUTTERDR_TEST_S3_ACCESS_KEY
            }
            $paramsFile = Join-Path $dir 'params.json'
            $params | ConvertTo-Json -Depth 3 | Set-Content -LiteralPath $paramsFile

            $psi = [Diagnostics.ProcessStartInfo]::new($Pwsh)
            foreach ($a in '-NoProfile', '-NonInteractive', '-File', $ChildScript, '-ParamsFile', $paramsFile, '-CaptureDir', $capture) { $psi.ArgumentList.Add($a) }
            $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true; $psi.UseShellExecute = $false
            foreach ($k in 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE', 'PGPASSWORD', 'XDG_CACHE_HOME', 'XDG_DATA_HOME', 'XDG_CONFIG_HOME') { $null = $psi.Environment.Remove($k) }
            $psi.Environment['HOME'] = $childHome; $psi.Environment['TMPDIR'] = $childTemp
            $psi.Environment['CLUTTERDR_SECRETS_JSON'] = ([pscustomobject]$Secrets | ConvertTo-Json -Compress)
            $psi.Environment['AWS_SESSION_TOKEN'] = $Secrets.SessionToken
            foreach ($k in $Environment.Keys) {
                $v = $Environment[$k]
                $psi.Environment[$k] = switch ($v) { '{AccessKey}' { $env:CLUTTERDR_TEST_S3_ACCESS_KEY } '{PassFile}' { $PassFile } default { $Secrets[$v] } }
            }
            $poller = [ClutterDRTests.CmdlinePoller]::new()
            try {
                $p = [Diagnostics.Process]::Start($psi)
                $stdout = $p.StandardOutput.ReadToEndAsync(); $stderr = $p.StandardError.ReadToEndAsync()
                if (-not $p.WaitForExit(300000)) { $p.Kill($true); throw "The child of case $Name did not finish within 5 minutes." }
                $p.WaitForExit()
            }
            finally { $cmdlines = $poller.Stop() }
            Set-Content -LiteralPath (Join-Path $capture 'stdout.txt') -Value $stdout.Result
            Set-Content -LiteralPath (Join-Path $capture 'stderr.txt') -Value $stderr.Result
            foreach ($k in $Plant.Keys) { Set-Content -LiteralPath (Join-Path $out $k) -Value $Plant[$k] }

            $leaks = [Collections.Generic.List[string]]::new()
            # Our own pwsh child carries no secret on its command line (paths only), so every process counts.
            foreach ($c in $cmdlines) { foreach ($l in Find-Secret $c "cmdline '$c'") { $leaks.Add($l) } }
            $files = @(Get-ChildItem -LiteralPath $dir -Recurse -File -Force)
            foreach ($f in $files) {
                foreach ($l in Find-Secret ([IO.File]::ReadAllBytes($f.FullName)) $f.FullName.Substring($dir.Length + 1)) { $leaks.Add($l) }
            }
            $summaryFile = Join-Path $capture 'summary.json'
            [pscustomobject]@{
                Name     = $Name
                Leaks    = $leaks.ToArray()
                Summary  = (Test-Path $summaryFile) ? @(Get-Content -Raw $summaryFile | ConvertFrom-Json) : @()
                Cmdlines = $cmdlines
                Stderr   = $stderr.Result
                Stdout   = $stdout.Result
                Scans    = $poller.Scans
                Files    = @($files | ForEach-Object { $_.FullName.Substring($dir.Length + 1) })
            }
        }

        # Every object under the bucket, read back with the AWS SDK of the module (signed requests, real server): its bytes,
        # response headers and user metadata written to files of their own, which are then scanned.
        $script:InspectScript = Join-Path $Root 'inspect.ps1'
        Set-Content -LiteralPath $InspectScript -Value @'
param([string]$Lib, [string]$Endpoint, [string]$Bucket, [string]$AccessKey, [string]$OutDir, [string]$PlantKey)
$ErrorActionPreference = 'Stop'
Add-Type -LiteralPath (Join-Path $Lib 'AWSSDK.Core.dll'), (Join-Path $Lib 'AWSSDK.S3.dll')
$config = [Amazon.S3.AmazonS3Config]::new()
$config.ServiceURL = $Endpoint; $config.ForcePathStyle = $true; $config.AuthenticationRegion = 'us-east-1'
$config.RequestChecksumCalculation = [Amazon.Runtime.RequestChecksumCalculation]::WHEN_REQUIRED
$config.ResponseChecksumValidation = [Amazon.Runtime.ResponseChecksumValidation]::WHEN_REQUIRED
$client = [Amazon.S3.AmazonS3Client]::new([Amazon.Runtime.BasicAWSCredentials]::new($AccessKey, $env:CLUTTERDR_S3_SECRET), $config)
if ($PlantKey) {
    $put = [Amazon.S3.Model.PutObjectRequest]::new(); $put.BucketName = $Bucket; $put.Key = $PlantKey; $put.ContentBody = 'control'; $put.UseChunkEncoding = $false
    $put.Metadata.Add('note', $env:CLUTTERDR_PLANT)
    $null = $client.PutObjectAsync($put).GetAwaiter().GetResult()
}
$list = [Amazon.S3.Model.ListObjectsV2Request]::new(); $list.BucketName = $Bucket
$n = 0
do {
    $page = $client.ListObjectsV2Async($list).GetAwaiter().GetResult()
    foreach ($o in @($page.S3Objects)) {
        if (-not $o) { continue }
        $n++
        $safe = $o.Key -replace '[^A-Za-z0-9._-]', '_'
        $head = $client.GetObjectMetadataAsync($Bucket, $o.Key).GetAwaiter().GetResult()
        $lines = @("key=$($o.Key)", "etag=$($head.ETag)", "storageClass=$($head.StorageClass)")
        foreach ($h in $head.Headers.Keys) { $lines += "header $h=$($head.Headers[$h])" }
        foreach ($m in $head.Metadata.Keys) { $lines += "meta $m=$($head.Metadata[$m])" }
        try {
            $tags = $client.GetObjectTaggingAsync([Amazon.S3.Model.GetObjectTaggingRequest]@{ BucketName = $Bucket; Key = $o.Key }).GetAwaiter().GetResult()
            foreach ($t in @($tags.Tagging)) { if ($t) { $lines += "tag $($t.Key)=$($t.Value)" } }
        } catch { $lines += "tagging: $($_.Exception.Message)" }
        Set-Content -LiteralPath (Join-Path $OutDir "$safe.head.txt") -Value $lines
        $get = $client.GetObjectAsync($Bucket, $o.Key).GetAwaiter().GetResult()
        $fs = [IO.File]::Create((Join-Path $OutDir "$safe.body"))
        try { $get.ResponseStream.CopyTo($fs) } finally { $fs.Dispose(); $get.Dispose() }
    }
    $list.ContinuationToken = $page.NextContinuationToken
} while ($page.IsTruncated)
$n
'@
        function Invoke-S3Inspection([string]$Name, [string]$PlantKey, [string]$Plant) {
            $dir = Join-Path $Root "s3-$Name"
            $null = New-Item -ItemType Directory -Path $dir -Force
            $psi = [Diagnostics.ProcessStartInfo]::new($Pwsh)
            foreach ($a in '-NoProfile', '-NonInteractive', '-File', $InspectScript, '-Lib', $ModuleLib, '-Endpoint', $Endpoint, '-Bucket', $Bucket,
                '-AccessKey', $env:CLUTTERDR_TEST_S3_ACCESS_KEY, '-OutDir', $dir, '-PlantKey', $PlantKey) { $psi.ArgumentList.Add($a) }
            $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true; $psi.UseShellExecute = $false
            $psi.Environment['CLUTTERDR_S3_SECRET'] = $Secrets.S3Secret
            $psi.Environment['CLUTTERDR_PLANT'] = $Plant
            $p = [Diagnostics.Process]::Start($psi)
            $stdout = $p.StandardOutput.ReadToEndAsync(); $stderr = $p.StandardError.ReadToEndAsync(); $p.WaitForExit()
            if ($p.ExitCode -ne 0) { throw "The S3 inspection failed ($($p.ExitCode)): $($stderr.Result)" }
            $leaks = foreach ($f in Get-ChildItem -LiteralPath $dir -File) { Find-Secret ([IO.File]::ReadAllBytes($f.FullName)) "s3 $($f.Name)" }
            [pscustomobject]@{ Objects = [int]($stdout.Result.Trim()); Files = @(Get-ChildItem -LiteralPath $dir -File).Name; Leaks = @($leaks) }
        }

        # Run every case in order (later cases read the backups of earlier ones), then read back the bucket.
        $script:Results = @{}
        foreach ($case in $Cases) {
            $Results[$case.Name] = Invoke-SecretRun -Name $case.Name -Statements $case.Statements -Environment ($case['Environment'] ?? @{})
        }
        $script:S3Findings = Invoke-S3Inspection -Name 'all'
    }

    AfterAll {
        try {
            foreach ($t in @($script:Targets)) { if ($t) { Invoke-TestPsql -Command "drop database if exists $t" | Out-Null } }
            if ($script:Db) { Invoke-TestPsql -Database $Db -Command 'drop table if exists backup_audit_log' | Out-Null } # the audit cases' table, owned by the role
            if ($script:Role) { Invoke-TestPsql -Command "drop role if exists $Role" | Out-Null }
        }
        catch { Write-Warning "Secrets.Tests.ps1 cleanup: $_" }
        if ($script:GpgHome) { & gpgconf --homedir $GpgHome --kill gpg-agent 2>$null }
        if ($script:Root -and -not $env:CLUTTERDR_TEST_KEEP) { Remove-Item -LiteralPath $Root -Recurse -Force -ErrorAction SilentlyContinue }
    }

    Describe 'The scanner finds what is planted (negative controls)' {
        It 'finds every secret in every form it looks for, at any offset, and nothing in clean bytes' {
            $rng = [Random]::new(7)
            foreach ($name in $Secrets.Keys) {
                foreach ($form in (Get-SecretForms $Secrets[$name]).GetEnumerator()) {
                    if ($form.Value.Length -lt 12) { continue }
                    $noise = [byte[]]::new(300); $rng.NextBytes($noise)
                    $bytes = if ($form.Key -eq 'utf16') { $Latin1.GetBytes($form.Value) } else { [Text.Encoding]::UTF8.GetBytes($form.Value) }
                    $planted = $noise[0..(100 + $rng.Next(50))] + $bytes + $noise
                    @(Find-Secret ([byte[]]$planted) 'p') | Should -Contain "p: $name as $($form.Key)"
                }
                # base64 of a buffer holding the raw secret, at each alignment
                foreach ($shift in 0..5) {
                    $buffer = [byte[]]((@(65) * (10 + $shift)) + [Text.Encoding]::UTF8.GetBytes($Secrets[$name]) + (@(66) * 9))
                    @(Find-Secret ([Convert]::ToBase64String($buffer)) 'b') | Should -Contain "b: $name as base64_$((10 + $shift) % 3)" -Because "$name at offset $(10 + $shift)"
                }
            }
            $clean = [byte[]]::new(100000); [Random]::new(11).NextBytes($clean)
            @(Find-Secret $clean 'clean') | Should -BeNullOrEmpty
            @(Find-Secret 'postgresql://postgres:clutter-test-pw@127.0.0.1/db' 'clean') | Should -BeNullOrEmpty
        }

        It 'a run that leaks on purpose is caught in every stream, a file, stdout and a child command line' {
            $r = Invoke-SecretRun -Name 'control' -Statements @(
                'Write-Output "out [$(ConvertFrom-SecureString $BackupPass -AsPlainText)]"'
                'Write-Error "err [$([uri]::EscapeDataString((ConvertFrom-SecureString $KeyPass -AsPlainText)))]"'
                'Write-Warning "warn [$($DbCred.GetNetworkCredential().Password)]"'
                'Write-Verbose "verbose [$([Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes("x" + $S3.S3Credential.GetNetworkCredential().Password)))]"'
                'Write-Debug "debug [$env:AWS_SESSION_TOKEN]"'
                'Write-Information "info [$WrongPasswordUrl]"'
                '$psi = [Diagnostics.ProcessStartInfo]::new("/bin/sh"); foreach ($a in "-c", "sleep 0.5", "sh", ($WrongPass | ConvertFrom-SecureString -AsPlainText)) { $psi.ArgumentList.Add($a) }; [Diagnostics.Process]::Start($psi).WaitForExit()'
            ) -Plant @{ 'planted.json' = "{`"note`": $([Text.Json.JsonSerializer]::Serialize($Secrets.KeyPass, [string], [Text.Json.JsonSerializerOptions]$null))}" }
            # Each stream carries one secret, in its own form: each must be found in every capture of the streams.
            foreach ($expected in 'BackupPass', 'KeyPass', 'PgPassword', 'S3Secret', 'SessionToken', 'WrongPgPassword') {
                foreach ($file in 'records.txt', 'records.clixml', 'stdout.txt') {
                    @($r.Leaks | Where-Object { $_ -like "capture/${file}:*" }) -join "`n" | Should -Match "\b$expected as " -Because "$expected was planted in a stream"
                }
            }
            @($r.Leaks | Where-Object { $_ -like 'out/planted.json:*' }) -join "`n" | Should -Match 'KeyPass as (json|core)'
            @($r.Leaks | Where-Object { $_ -like 'cmdline*sleep 0.5*' }) -join "`n" | Should -Match 'WrongPass as raw'
            $r.Scans | Should -BeGreaterThan 10
        }

        It 'an S3 object whose metadata holds a secret is caught by the read-back' {
            $f = Invoke-S3Inspection -Name 'control' -PlantKey 'control/planted.txt' -Plant $Secrets.SessionToken
            $f.Leaks | Should -Contain 's3 control_planted.txt.head.txt: SessionToken as raw'
            $f.Objects | Should -BeGreaterThan 1
        }
    }

    Describe 'No secret in anything <Name> leaves' -ForEach $Cases {
        BeforeAll { $script:R = $Results[$Name] }

        It 'ran what it should (the scan is not vacuous)' {
            $R.Summary.Count | Should -BeGreaterThan 0 -Because "the child must have written its summary; stderr: $($R.Stderr)"
            foreach ($type in $Expect.Keys) {
                @($R.Summary | Where-Object { $_.Stream -eq 'Output' -and $_.Type -eq $type }).Count |
                    Should -BeGreaterOrEqual $Expect[$type] -Because "case $Name outputs $type; errors: $(@($R.Summary | Where-Object Stream -EQ 'Error' | ForEach-Object { $_.ErrorId }) -join ', ')"
            }
            $seenIds = @($R.Summary | Where-Object Stream -EQ 'Error' | ForEach-Object { $_.ErrorId }) -join '; '
            if ($Expect.Count -gt 0) { $seenIds | Should -BeNullOrEmpty }
            foreach ($id in $ErrorIds) { $seenIds | Should -Match "\b$id," -Because "case $Name must reach $id" }
            @($R.Summary | Where-Object Stream -EQ 'Verbose').Count | Should -BeGreaterThan 0
            if ($Name -like 'backup-*') { @($R.Summary | Where-Object Stream -EQ 'Progress').Count | Should -BeGreaterThan 0 }
            if ($Name -in 'restore', 'files') { $R.Stdout | Should -Match 'What if:' -Because 'host output (-WhatIf) reaches the captured stdout' }
        }

        It 'leaks no secret into a stream, stdout/stderr, a file it wrote or a command line' {
            $R.Leaks -join "`n" | Should -BeNullOrEmpty
        }
    }

    Describe 'Every cmdlet and every child program is covered' {
        It 'every exported cmdlet runs in some case' {
            $used = foreach ($case in $Cases) {
                foreach ($s in $case.Statements) {
                    [Management.Automation.Language.Parser]::ParseInput($s, [ref]$null, [ref]$null).FindAll({ $args[0] -is [Management.Automation.Language.CommandAst] }, $true) |
                        ForEach-Object { $_.GetCommandName() }
                }
            }
            $exported = @(Get-Command -Module ClutterDR -CommandType Cmdlet, Function).Name
            $exported.Count | Should -BeGreaterOrEqual 8
            @($exported | Where-Object { $_ -notin $used }) -join ', ' | Should -BeNullOrEmpty -Because 'a new cmdlet needs a case in Secrets.Tests.ps1'
        }

        It 'the poller saw pg_dump of the test database and pg_restore (so their command lines were checked)' {
            $all = @($Results.Values | ForEach-Object { $_.Cmdlines })
            @($all | Where-Object { $_ -match '\bpg_dump\b' -and $_ -match $Db }).Count | Should -BeGreaterThan 0
            @($all | Where-Object { $_ -match '\bpg_restore\b' }).Count | Should -BeGreaterThan 0
        }

        It 'the S3 read-back saw every backup object and manifest and leaks nothing' {
            $S3Findings.Files | Where-Object { $_ -like '*.manifest.json.body' } | Should -Not -BeNullOrEmpty
            @($S3Findings.Files | Where-Object { $_ -like 'db-pass_*' -and $_ -like '*.head.txt' }).Count | Should -BeGreaterOrEqual 2
            @($S3Findings.Files | Where-Object { $_ -like 'synced_*' }).Count | Should -BeGreaterThan 0
            $S3Findings.Leaks -join "`n" | Should -BeNullOrEmpty
        }
    }
}
