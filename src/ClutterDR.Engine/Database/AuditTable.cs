using Npgsql;
using NpgsqlTypes;

namespace ClutterDR.Database;

/// <summary>What a new audit row records at the start of a run.</summary>
public sealed record AuditRowStart(string Type, string Location, string? Database, string? CreatedBy, string Host, string ToolVersion, string? Plan, string? Job);

/// <summary>What the end of a run adds to its row.</summary>
public sealed record AuditRowFinish(string Status, string? Location, long? Size, string? Database, string? Sha256, string? ErrorId, string? ErrorMessage);

/// <summary>A filter over the audit table (Get-ClutterAuditLog).</summary>
public sealed record AuditRowQuery(DateTime? SinceUtc, IReadOnlyList<string>? Status, IReadOnlyList<string>? Types, IReadOnlyList<string>? Databases, int? Last);

/// <summary>
/// The SQL of the audit trail, the one place that reads or writes backup_audit_log: the runbook's table (its
/// seven columns, kept as they are) plus the columns ClutterDR adds, created or upgraded in place (ADD COLUMN IF
/// NOT EXISTS: rows are kept), one row per run inserted as running and updated when it ends. Times are UTC.
/// </summary>
public static class AuditTable
{
    public const string Name = "backup_audit_log";

    /// <summary>The runbook's CREATE TABLE, as its guide gives it.</summary>
    private const string GuideTable = """
        CREATE TABLE IF NOT EXISTS backup_audit_log (
          id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
          backup_type VARCHAR(50) NOT NULL,
          backup_location TEXT NOT NULL,
          backup_size BIGINT,
          status VARCHAR(20) NOT NULL,
          created_at TIMESTAMP DEFAULT NOW(),
          created_by VARCHAR(255)
        )
        """;

    /// <summary>The guide's columns and their types (information_schema data_type), which must be there as they are.</summary>
    private static readonly (string Column, string Type)[] GuideColumns =
    [
        ("id", "uuid"), ("backup_type", "character varying"), ("backup_location", "text"), ("backup_size", "bigint"),
        ("status", "character varying"), ("created_at", "timestamp without time zone"), ("created_by", "character varying"),
    ];

    /// <summary>The columns ClutterDR adds.</summary>
    public static readonly (string Column, string Definition)[] AddedColumns =
    [
        ("finished_at", "TIMESTAMP"), ("duration", "INTERVAL"), ("database_name", "TEXT"), ("sha256", "VARCHAR(64)"),
        ("error_id", "VARCHAR(100)"), ("error_message", "TEXT"), ("host", "VARCHAR(255)"), ("tool_version", "VARCHAR(100)"),
        ("plan", "TEXT"), ("job", "TEXT"),
    ];

    /// <summary>Creates the table or upgrades one of the guide's shape; returns the columns it added (empty: it was up to date).</summary>
    public static async Task<IReadOnlyList<string>> EnsureAsync(PgConnectionSettings conn, CancellationToken cancellationToken)
    {
        await using var db = await PgErrors.OpenAsync(conn, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var tx = await db.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            // One initializer at a time (two jobs starting together must not both add a column).
            await Exec(db, "SELECT pg_advisory_xact_lock(hashtext('clutterdr.backup_audit_log'))", cancellationToken).ConfigureAwait(false);
            var existing = await ColumnsAsync(db, cancellationToken).ConfigureAwait(false);
            if (existing.Count > 0)
            {
                var wrong = GuideColumns.Where(g => !existing.TryGetValue(g.Column, out var t) || t != g.Type).Select(g => g.Column).ToList();
                if (wrong.Count > 0)
                    throw new ClutterException(Errors.AuditTableIncompatible,
                        $"The table {Name} in {conn.Display} is not the runbook's audit table: column{(wrong.Count == 1 ? "" : "s")} {string.Join(", ", wrong)} {(wrong.Count == 1 ? "is" : "are")} missing or of another type. Nothing was changed; rename that table or use another database.",
                        conn.Display);
            }
            else
            {
                await Exec(db, GuideTable, cancellationToken).ConfigureAwait(false);
            }
            var added = new List<string>();
            foreach (var (column, definition) in AddedColumns)
            {
                if (existing.ContainsKey(column)) continue;
                await Exec(db, $"ALTER TABLE {Name} ADD COLUMN IF NOT EXISTS {column} {definition}", cancellationToken).ConfigureAwait(false);
                added.Add(column);
            }
            await Exec(db, $"CREATE INDEX IF NOT EXISTS {Name}_created_at_idx ON {Name} (created_at)", cancellationToken).ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            return added;
        }
        catch (Exception e) { throw PgErrors.Map(e, conn); }
    }

    private static async Task<Dictionary<string, string>> ColumnsAsync(NpgsqlConnection db, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1", db);
        cmd.Parameters.Add(new NpgsqlParameter { Value = Name });
        var columns = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) columns[reader.GetString(0)] = reader.GetString(1);
        return columns;
    }

    /// <summary>Inserts a running row; returns its id.</summary>
    public static async Task<Guid> InsertAsync(PgConnectionSettings conn, AuditRowStart start, DateTime startedUtc, CancellationToken cancellationToken)
    {
        await using var db = await PgErrors.OpenAsync(conn, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var cmd = new NpgsqlCommand(
                $"INSERT INTO {Name} (backup_type, backup_location, status, created_at, created_by, database_name, host, tool_version, plan, job) " +
                "VALUES ($1, $2, 'running', $3, $4, $5, $6, $7, $8, $9) RETURNING id", db);
            Add(cmd, start.Type, start.Location, Timestamp(startedUtc), start.CreatedBy, start.Database, start.Host, start.ToolVersion, start.Plan, start.Job);
            return (Guid)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
        catch (Exception e) { throw PgErrors.Map(e, conn); }
    }

    /// <summary>Ends a run's row: its status, what it made, its error; the location and database only when now known.</summary>
    public static async Task FinishAsync(PgConnectionSettings conn, Guid id, AuditRowFinish finish, DateTime startedUtc, DateTime finishedUtc, CancellationToken cancellationToken)
    {
        await using var db = await PgErrors.OpenAsync(conn, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var cmd = new NpgsqlCommand(
                $"UPDATE {Name} SET status = $2, backup_location = COALESCE($3, backup_location), backup_size = $4, " +
                "database_name = COALESCE($5, database_name), sha256 = $6, error_id = $7, error_message = $8, finished_at = $9, duration = $10 WHERE id = $1", db);
            Add(cmd, id, finish.Status, finish.Location, finish.Size, finish.Database, finish.Sha256, finish.ErrorId, finish.ErrorMessage,
                Timestamp(finishedUtc), finishedUtc - startedUtc);
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) { throw PgErrors.Map(e, conn); }
    }

    /// <summary>The rows the query selects, oldest first (with Last: the newest N, oldest first).</summary>
    public static async Task<List<AuditEntry>> QueryAsync(PgConnectionSettings conn, AuditRowQuery query, CancellationToken cancellationToken)
    {
        await using var db = await PgErrors.OpenAsync(conn, cancellationToken).ConfigureAwait(false);
        try
        {
            var columns = await ColumnsAsync(db, cancellationToken).ConfigureAwait(false);
            if (columns.Count == 0)
                throw new ClutterException(Errors.AuditLogNotFound,
                    $"{conn.Display} has no {Name} table. Run Initialize-ClutterAuditLog -ConnectionString ... against it first.", conn.Display);
            string Col(string c) => columns.ContainsKey(c) ? c : "NULL";
            await using var cmd = new NpgsqlCommand("", db);
            var where = new List<string>();
            void Filter(string sql, object value) { cmd.Parameters.Add(new NpgsqlParameter { Value = value }); where.Add(sql.Replace("@", "$" + cmd.Parameters.Count)); }
            if (query.SinceUtc is DateTime since) Filter("created_at >= @", Timestamp(since));
            if (query.Status is { Count: > 0 } status) Filter("lower(status) = ANY(@)", status.Select(s => s.ToLowerInvariant()).ToArray());
            if (query.Types is { Count: > 0 } types) Filter("lower(backup_type) = ANY(@)", types.Select(s => s.ToLowerInvariant()).ToArray());
            if (query.Databases is { Count: > 0 } dbs && columns.ContainsKey("database_name")) Filter("database_name = ANY(@)", dbs.ToArray());
            var select = $"SELECT id, backup_type, backup_location, backup_size, status, created_at, created_by, {string.Join(", ", AddedColumns.Select(c => Col(c.Column)))} FROM {Name}" +
                (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") + " ORDER BY created_at DESC NULLS LAST, id" +
                (query.Last is int last ? $" LIMIT {last}" : "");
            cmd.CommandText = select;
            var rows = new List<AuditEntry>();
            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false)) rows.Add(Read(r));
            rows.Reverse();
            return rows;
        }
        catch (Exception e) { throw PgErrors.Map(e, conn); }
    }

    private static AuditEntry Read(NpgsqlDataReader r)
    {
        T? Get<T>(int i) => r.IsDBNull(i) ? default : r.GetFieldValue<T>(i);
        DateTime? Utc(int i) => r.IsDBNull(i) ? null : DateTime.SpecifyKind(r.GetDateTime(i), DateTimeKind.Utc);
        return new AuditEntry
        {
            Id = r.GetGuid(0), Type = r.GetString(1), Location = r.GetString(2), SizeBytes = r.IsDBNull(3) ? null : r.GetInt64(3),
            Status = r.GetString(4), CreatedAt = Utc(5), CreatedBy = Get<string>(6), FinishedAt = Utc(7),
            Duration = r.IsDBNull(8) ? null : r.GetFieldValue<TimeSpan>(8), Database = Get<string>(9), Sha256 = Get<string>(10),
            ErrorId = Get<string>(11), ErrorMessage = Get<string>(12), Host = Get<string>(13), ToolVersion = Get<string>(14),
            Plan = Get<string>(15), Job = Get<string>(16),
        };
    }

    private static DateTime Timestamp(DateTime utc) => DateTime.SpecifyKind(utc.ToUniversalTime(), DateTimeKind.Unspecified);

    private static void Add(NpgsqlCommand cmd, params object?[] values)
    {
        foreach (var v in values)
            cmd.Parameters.Add(v is DateTime dt
                ? new NpgsqlParameter { Value = dt, NpgsqlDbType = NpgsqlDbType.Timestamp }
                : new NpgsqlParameter { Value = v ?? DBNull.Value }); // a null goes untyped: the server infers its column's type
    }

    private static async Task Exec(NpgsqlConnection db, string sql, CancellationToken cancellationToken)
    {
        await using var cmd = new NpgsqlCommand(sql, db);
        await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
