@{
    RootModule           = 'bin/ClutterDR.dll'   # the cmdlets; the engine and its dependencies load privately from bin/lib
    ModuleVersion        = '0.1.0'
    GUID                 = '3f1d7c52-8a4e-4d2b-9a61-5c0e2b7d9f14'
    Author               = 'ClutterDR contributors'
    CompanyName          = 'ClutterDR'
    Copyright            = '(c) 2026 ClutterDR contributors. MIT License.'
    Description          = 'Backup and recovery of PostgreSQL (Supabase or any Postgres 12+) and its object storage: streaming pg_dump to S3 or folders, verified restores, backup age checks.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('ClutterDR.Format.ps1xml')
    CmdletsToExport      = @(
        'Backup-ClutterDatabase'
        'Get-ClutterBackup'
        'Restore-ClutterDatabase'
        'Sync-ClutterStorage'
        'Test-ClutterBackupAge'
        'Test-ClutterBackup'
        'Protect-ClutterFile'
        'Unprotect-ClutterFile'
        'Clear-ClutterBackupDebris'
        'Remove-ClutterBackup'
        'Set-ClutterBackup'
        'Test-ClutterRecovery'
        'New-ClutterIncidentReport'
        'Test-ClutterRestore'
        'Get-ClutterDrill'
        'Backup-ClutterStorage'
        'Get-ClutterStorageSnapshot'
        'Get-ClutterStorageFile'
        'Restore-ClutterStorage'
        'Test-ClutterStorageSnapshot'
        'Invoke-ClutterBackupPlan'
        'Test-ClutterBackupPlan'
        'Export-ClutterSchedule'
        'Initialize-ClutterAuditLog'
        'Get-ClutterAuditLog'
        'Send-ClutterNotification'
        'Backup-ClutterConfiguration'
        'Restore-ClutterConfiguration'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('PostgreSQL', 'Postgres', 'Backup', 'Restore', 'S3', 'Supabase', 'DisasterRecovery', 'pg_dump', 'PSEdition_Core', 'Linux', 'Windows', 'MacOS')
            LicenseUri   = 'https://github.com/clutterdr/ClutterDR/blob/main/LICENSE'
            ProjectUri   = 'https://github.com/clutterdr/ClutterDR'
            ReleaseNotes = '0.1.0: first release. Streaming pg_dump backups to S3-compatible storage or folders with a manifest (SHA-256, row counts), verified single-transaction restores, backup age checks; help (Get-Help -Examples), table views, tab completion of S3 locations and database names.'
        }
    }
}
