namespace ClutterDR.Commands;

/// <summary>
/// Marks a cmdlet's -AuditConnectionString parameter: with it, AsyncCmdlet writes the call's audit row (CmdletAudit)
/// of this type, its start location taken from the parameter named by <see cref="Location"/> and its database from
/// the connection string parameter named by <see cref="Database"/>. Adding the audit to a cmdlet is one line:
/// <code>[Parameter, Audited("drill", Location = nameof(Location))] public string? AuditConnectionString { get; set; }</code>
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false)]
public sealed class AuditedAttribute(string type) : Attribute
{
    /// <summary>The row's backup_type: database, restore, sync, config, ...</summary>
    public string Type { get; } = type;
    /// <summary>The parameter whose value is the run's location at its start (a string or string[]).</summary>
    public string? Location { get; set; }
    /// <summary>The parameter holding a connection string whose database the run is about.</summary>
    public string? Database { get; set; }
}
