using System.Management.Automation;
using ClutterDR.Commands.Completers;

namespace ClutterDR.Commands;

/// <summary>
/// Base of the cmdlets that look at what is stored under a backup location (Get-ClutterBackup,
/// Test-ClutterBackupAge, Clear-ClutterBackupDebris): -Location, also piped, and -Database, both completed.
/// </summary>
public abstract class BackupLocationCmdlet : ClutterS3Cmdlet
{
    /// <summary>A folder or s3://bucket/prefix that backups are written to.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(S3LocationCompleter))]
    public string Location { get; set; } = "";

    /// <summary>Only these databases; default: every database under the location.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DatabaseNameCompleter))]
    public string[]? Database { get; set; }
}
