@{
    RootModule           = 'ClutterDR.dll'
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
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('PostgreSQL', 'Backup', 'Restore', 'S3', 'Supabase', 'DisasterRecovery')
            ProjectUri = 'https://github.com/clutterdr/ClutterDR'
        }
    }
}
