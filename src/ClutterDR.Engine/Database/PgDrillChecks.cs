using Npgsql;

namespace ClutterDR.Database;

/// <summary>The outcome of one check of a restored database: whether it held and what was seen (never a secret).</summary>
public sealed record PgCheckOutcome(string Name, bool Passed, string Detail);

/// <summary>
/// The checks a restore drill runs on its scratch database, beyond row counts and table definitions: the required
/// extensions exist; each query holds; pg_amcheck (heap and B-tree, --install-missing) finds no corruption.
/// A query holds when its result is one boolean column and it returns at least one row, all true; any other
/// result holds when it returns at least one row. Queries run in a transaction that is rolled back.
/// </summary>
public static class PgDrillChecks
{
    private const int DetailChars = 2000;

    /// <summary>Each required extension installed (with its version) or not: the recovery checklist's query (PgLiveDatabase).</summary>
    public static async Task<List<PgCheckOutcome>> ExtensionsAsync(PgConnectionSettings database, IReadOnlyList<string> required, CancellationToken cancellationToken)
    {
        await using var db = await PgLiveDatabase.OpenAsync(database, cancellationToken).ConfigureAwait(false);
        return (await db.ExtensionsAsync(required, cancellationToken).ConfigureAwait(false))
            .Select(e => e.InstalledVersion is { } version
                ? new PgCheckOutcome(e.Name, true, "version " + version)
                : new PgCheckOutcome(e.Name, false, $"not installed in {database.Database}")).ToList();
    }

    public static async Task<PgCheckOutcome> QueryAsync(PgConnectionSettings database, string name, string sql, CancellationToken cancellationToken)
    {
        await using var c = await PgErrors.OpenAsync(database, cancellationToken).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var cmd = new NpgsqlCommand(sql, c, tx);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var boolean = reader.FieldCount == 1 && reader.GetFieldType(0) == typeof(bool);
            long rows = 0, trues = 0;
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows++;
                if (boolean && !reader.IsDBNull(0) && reader.GetBoolean(0)) trues++;
            }
            if (boolean)
                return new PgCheckOutcome(name, rows > 0 && trues == rows,
                    rows == 1 ? $"returned {(trues == 1 ? "true" : "false or null")}" : $"returned {rows} booleans, {trues} true");
            return new PgCheckOutcome(name, rows > 0, $"returned {rows} row{(rows == 1 ? "" : "s")}");
        }
        catch (PostgresException e)
        {
            return new PgCheckOutcome(name, false, $"failed: {e.SqlState} {database.Scrub(e.MessageText)}");
        }
        finally
        {
            try { await tx.RollbackAsync(CancellationToken.None).ConfigureAwait(false); } catch (Exception e) when (e is NpgsqlException or InvalidOperationException) { }
        }
    }

    /// <summary>pg_amcheck over every table (heap) and B-tree index of the database, installing amcheck when missing.</summary>
    public static async Task<PgCheckOutcome> IntegrityAsync(PgConnectionSettings database, CancellationToken cancellationToken)
    {
        var tool = PgTools.Find("pg_amcheck");
        // A pattern, as psql reads it: double quotes keep the name's case (the scratch name's T and Z) and make * ? literal.
        // Strict names (the default): a pattern that matches nothing is an error, never a vacuous pass.
        var args = new List<string> { "--install-missing", "--no-password", "--database=\"" + database.Database.Replace("\"", "\"\"") + "\"" };
        using var proc = PgProcess.Start(tool, args, database, redirectInput: false, redirectOutput: true);
        using var stdout = new StreamReader(proc.StandardOutput);
        var report = await stdout.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        var exit = await proc.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        var said = database.Scrub((report.Trim() + Environment.NewLine + proc.StandardErrorTail).Trim());
        if (said.Length > DetailChars) said = said[..DetailChars] + " ...";
        return exit == 0
            ? new PgCheckOutcome("pg_amcheck", true, $"{tool.VersionText}: no corruption found")
            : new PgCheckOutcome("pg_amcheck", false, $"{tool.Name} {PgProcess.DescribeExit(exit)}: {said}");
    }
}
