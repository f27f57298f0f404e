using System.Data;
using Npgsql;

namespace ClutterDR.Database;

/// <summary>
/// The snapshot a backup is taken in: a read-only repeatable-read transaction whose snapshot is exported for
/// pg_dump (--snapshot), held open until pg_dump is done; the row counts and definitions run inside it.
/// </summary>
public sealed class PgSnapshot : IAsyncDisposable
{
    private readonly NpgsqlConnection _db;
    private readonly NpgsqlTransaction _tx;

    private PgSnapshot(NpgsqlConnection db, NpgsqlTransaction tx, string id, long estimate)
    {
        _db = db; _tx = tx; Id = id; EstimatedDumpBytes = estimate;
    }

    /// <summary>The exported snapshot's id, for pg_dump --snapshot.</summary>
    public string Id { get; }

    /// <summary>The tables' size on disk, read in the snapshot: the first estimate of the dump's size.</summary>
    public long EstimatedDumpBytes { get; }

    /// <summary>
    /// Begins the transaction, exports its snapshot and estimates the dump of <paramref name="tables"/>; a server
    /// error is mapped (PgErrors) for <paramref name="connection"/>.
    /// </summary>
    public static async Task<PgSnapshot> BeginAsync(NpgsqlConnection db, PgConnectionSettings connection, IEnumerable<PgRelation> tables, CancellationToken cancellationToken)
    {
        var tx = await db.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken).ConfigureAwait(false);
        try
        {
            await using (var ro = new NpgsqlCommand("set transaction read only", db, tx))
                await ro.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            string id;
            await using (var snap = new NpgsqlCommand("select pg_catalog.pg_export_snapshot()", db, tx))
                id = (string)(await snap.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
            var estimate = await PgCatalog.EstimateDumpBytesAsync(db, tables, cancellationToken).ConfigureAwait(false);
            return new PgSnapshot(db, tx, id, estimate);
        }
        catch (Exception e)
        {
            await tx.DisposeAsync().ConfigureAwait(false);
            throw PgErrors.Map(e, connection);
        }
    }

    /// <summary>Each table's row count and definition, as the snapshot sees them.</summary>
    public async Task<List<TableRowCount>> CountRowsAsync(IReadOnlyList<PgRelation> tables, CancellationToken cancellationToken)
    {
        var counts = new List<TableRowCount>(tables.Count);
        foreach (var t in tables)
            counts.Add(new TableRowCount(t.Schema, t.Name, await PgCatalog.CountRowsAsync(_db, t, cancellationToken).ConfigureAwait(false)));
        var definitions = await TableDefinitions.ReadAsync(_db, tables, cancellationToken).ConfigureAwait(false);
        var grants = await TableDefinitions.ReadGrantsAsync(_db, tables, cancellationToken).ConfigureAwait(false);
        foreach (var c in counts)
        {
            c.Definition = definitions.GetValueOrDefault((c.Schema, c.Name));
            c.Grants = grants.GetValueOrDefault((c.Schema, c.Name));
        }
        return counts;
    }

    public ValueTask DisposeAsync() => _tx.DisposeAsync();
}
