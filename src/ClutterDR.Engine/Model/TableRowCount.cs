namespace ClutterDR;

/// <summary>Rows of one table, counted in the backup's own snapshot.</summary>
public sealed class TableRowCount
{
    public TableRowCount() { }
    public TableRowCount(string schema, string name, long rows) { Schema = schema; Name = name; Rows = rows; }

    public string Schema { get; set; } = "";
    public string Name { get; set; } = "";
    public long Rows { get; set; }
    /// <summary>Fingerprint of the table's definition (columns, constraints, indexes, triggers, policies) at backup time; null in older manifests.</summary>
    public string? Definition { get; set; }
    /// <summary>Fingerprint of the table's grants (table and column privileges, grantee and grant option; the owner's own left out); null in older manifests.</summary>
    public string? Grants { get; set; }

    public string QualifiedName => $"{Schema}.{Name}";
    public override string ToString() => $"{QualifiedName}={Rows}";
}
