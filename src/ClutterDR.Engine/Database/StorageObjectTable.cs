using Npgsql;

namespace ClutterDR.Database;

/// <summary>
/// The files a database points to: the names of one bucket in a Supabase-shaped object table
/// (<c>storage.objects</c>: bucket_id + name), read for Test-ClutterStorageSnapshot's cross-check.
/// </summary>
public static class StorageObjectTable
{
    /// <summary>Every name of the bucket in the table ("schema.table" or "table"), through one cursor.</summary>
    public static async Task<List<string>> NamesAsync(PgConnectionSettings connection, string table, string bucket, CancellationToken cancellationToken)
    {
        var parts = table.Split('.', 2);
        var quoted = parts.Length == 2 ? PgCatalog.QuoteIdent(parts[0]) + "." + PgCatalog.QuoteIdent(parts[1]) : PgCatalog.QuoteIdent(parts[0]);
        await using var conn = await PgErrors.OpenAsync(connection, cancellationToken).ConfigureAwait(false);
        try
        {
            await using var cmd = new NpgsqlCommand($"select name from {quoted} where bucket_id = $1 and name is not null", conn);
            cmd.Parameters.Add(new NpgsqlParameter { Value = bucket });
            var names = new List<string>();
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) names.Add(reader.GetString(0));
            return names;
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedColumn or PostgresErrorCodes.InvalidSchemaName)
        {
            throw new ClutterException(Errors.ObjectTableNotFound,
                $"The database {connection.Display} has no table {table} with the columns bucket_id and name ({e.MessageText}). Give -ObjectTable schema.table of the table that lists the files.", table, e);
        }
        catch (Exception e) when (e is not ClutterException and not OperationCanceledException) { throw PgErrors.Map(e, connection); }
    }
}
