# The backup guide's crontab as one ClutterDR plan (see README, "Unattended: the plan").
# Secrets are referenced, never written here: DATABASE_URL comes from the job's environment, the S3 key from
# Invoke-ClutterBackupPlan -Secret @{ s3 = $credential } (or a SecretManagement vault), the audit database, webhook and
# heartbeat URLs (their tokens are secrets) from the environment too.
@{
    Defaults = @{
        EndpointUrl  = 'https://s3.eu-central-1.amazonaws.com'
        S3Credential = @{ FromSecret = 's3' }
        # Named once for every job (not passed to the steps): each audited step writes its row here, each job
        # sends one notification when it ends, and pings its heartbeat (start, then success or fail).
        Audit        = @{ ConnectionString = @{ FromEnvironment = 'AUDIT_DATABASE_URL' } }
        Notify       = @( @{ Uri = @{ FromEnvironment = 'SLACK_WEBHOOK_URL' }; Format = 'Slack' } )
        HeartbeatUri = @{ FromEnvironment = 'HEALTHCHECK_URL' }
    }
    Jobs = @{
        'daily-database' = @{
            Schedule = '0 2 * * *'
            Steps    = @(
                @{ Name = 'backup'; Command = 'Backup-ClutterDatabase'; Parameters = @{ ConnectionString = @{ FromEnvironment = 'DATABASE_URL' }; Destination = 's3://clutter-ai-backups/database' } }
                @{ Name = 'age'; Command = 'Test-ClutterBackupAge'; DependsOn = 'backup'; Parameters = @{ Location = 's3://clutter-ai-backups/database'; MaxAge = '26:00:00' } }
                # The guide's daily 7 / weekly 4 / monthly 3 tiers; the newest, pinned and locked backups always stay.
                @{ Name = 'retention'; Command = 'Remove-ClutterBackup'; DependsOn = 'backup'; Parameters = @{ Location = 's3://clutter-ai-backups/database'; KeepDaily = 7; KeepWeekly = 4; KeepMonthly = 3; Confirm = $false } }
            )
        }
        'daily-storage' = @{
            Schedule = '0 3 * * *'
            Steps    = @(
                @{ Name = 'media'; Command = 'Sync-ClutterStorage'; Parameters = @{ Source = 's3://clutter-media'; Destination = 's3://clutter-ai-backups/storage'; SourceCredential = @{ FromSecret = 's3' }; DestinationCredential = @{ FromSecret = 's3' } } }
            )
        }
        'weekly-full' = @{
            Schedule = '0 1 * * 0'
            Steps    = @(
                @{ Name = 'backup'; Command = 'Backup-ClutterDatabase'; Parameters = @{ ConnectionString = @{ FromEnvironment = 'DATABASE_URL' }; Destination = 's3://clutter-ai-backups/weekly'; StorageClass = 'STANDARD_IA' } }
                @{ Name = 'verify'; Command = 'Test-ClutterBackup'; DependsOn = 'backup'; Parameters = @{ Location = 's3://clutter-ai-backups/weekly'; Deep = $true } }
            )
        }
        'monthly-drill' = @{
            Schedule = '0 9 1 * *'
            Steps    = @(
                # The guide's monthly drill: the newest backup restored into a scratch database, checked, dropped.
                @{ Name = 'drill'; Command = 'Test-ClutterRestore'; Parameters = @{ Location = 's3://clutter-ai-backups/database'; ConnectionString = @{ FromEnvironment = 'DRILL_DATABASE_URL' }; RtoObjective = '04:00:00'; RpoObjective = '24:00:00'; RequiredExtension = @('pgcrypto') } }
            )
        }
    }
}
