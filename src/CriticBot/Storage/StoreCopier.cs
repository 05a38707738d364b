using System.Data.Common;
using System.Globalization;
using Npgsql;
using static CriticBot.Storage.SqlDatabase;

namespace CriticBot.Storage;

/// <summary>How one table's copy went: rows new to the target, rows brought up to date, rows already the same.</summary>
public sealed record TableCopy(string Table, long Copied, long Updated, long Unchanged);

/// <summary>
/// Copies every table of a SQLite store into a PostgreSQL store, keeping row ids so references stay intact.
/// Idempotent and resumable: rows go in batches, each one transaction; a row the target already holds under the
/// same key is the same record (from an earlier or interrupted run) and is brought up to date with the source,
/// so a second run after stopping the old service catches up. A key that names a different record in the target
/// (a delivery id, a review's head, a parent row: the target has a history of its own) stops the copy instead of
/// mixing two histories.
/// </summary>
public sealed class StoreCopier(CriticBotStore source, CriticBotStore target)
{
    public int BatchSize { get; init; } = 500;

    /// <summary>Copies table by table, parents before children; <paramref name="progress"/> hears each table's result.</summary>
    public async Task<IReadOnlyList<TableCopy>> CopyAsync(Action<TableCopy>? progress, CancellationToken ct)
    {
        if (source.Kind != DatabaseKind.Sqlite || target.Kind != DatabaseKind.PostgreSql)
        {
            throw new InvalidOperationException("a copy goes from a SQLite file to a PostgreSQL database");
        }

        var tables = await ReadTablesAsync(ct);
        var results = new List<TableCopy>();
        foreach (var table in tables)
        {
            var result = await CopyTableAsync(table, ct);
            results.Add(result);
            progress?.Invoke(result);
        }

        // Explicit ids leave the identity sequences behind: move them past the copied rows.
        foreach (var table in tables.Where(t => t.Key == "id"))
        {
            await target.Database.WriteAsync(connection => ExecuteAsync(connection,
                $"SELECT setval(pg_get_serial_sequence('{table.Name}', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM {table.Name}), false)"), ct);
        }

        return results;
    }

    /// <param name="Key">The single-column primary key, if the table has one.</param>
    /// <param name="Identity">What makes a row the same record besides its key: other unique columns and references.</param>
    private sealed record Table(string Name, IReadOnlyList<string> Columns, string? Key, IReadOnlyList<string> Identity, IReadOnlyList<string> Parents);

    /// <summary>The source's tables (schema_migrations aside: each side migrates itself), parents first.</summary>
    private async Task<List<Table>> ReadTablesAsync(CancellationToken ct)
    {
        await using var connection = await source.Database.OpenReadAsync(ct);
        var names = await ListAsync(connection,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name", ct);
        var tables = new Dictionary<string, Table>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var columns = await ListAsync(connection, $"SELECT name FROM pragma_table_info('{name}') ORDER BY cid", ct);
            var keys = await ListAsync(connection, $"SELECT name FROM pragma_table_info('{name}') WHERE pk > 0 ORDER BY pk", ct);
            var parents = await ListAsync(connection, $"SELECT \"table\" FROM pragma_foreign_key_list('{name}')", ct);
            var references = await ListAsync(connection, $"SELECT \"from\" FROM pragma_foreign_key_list('{name}')", ct);
            var unique = await ListAsync(connection, $"""
                SELECT c.name FROM pragma_index_list('{name}') i, pragma_index_info(i.name) c
                WHERE i."unique" = 1 AND i.origin <> 'pk'
                """, ct);
            var key = keys.Count == 1 ? keys[0] : null;
            tables[name] = new Table(name, columns, key, [.. unique.Concat(references).Where(c => c != key).Distinct()], parents);
        }

        var ordered = new List<Table>();
        var placed = new HashSet<string>(StringComparer.Ordinal);
        void Place(Table table, int depth)
        {
            if (placed.Contains(table.Name) || depth > tables.Count)
            {
                return;
            }

            foreach (var parent in table.Parents)
            {
                if (tables.TryGetValue(parent, out var p) && p != table)
                {
                    Place(p, depth + 1);
                }
            }

            if (placed.Add(table.Name))
            {
                ordered.Add(table);
            }
        }

        foreach (var table in tables.Values)
        {
            Place(table, 0);
        }

        return ordered;
    }

    private async Task<TableCopy> CopyTableAsync(Table table, CancellationToken ct)
    {
        var columnList = string.Join(", ", table.Columns);
        var select = $"SELECT rowid, {columnList} FROM {table.Name} WHERE rowid > @after ORDER BY rowid LIMIT @limit";
        var values = string.Join(", ", table.Columns.Select((_, i) => $"@p{i}"));
        // Same key and same record: update only what changed. xmax = 0 tells an insert from an update.
        var others = table.Columns.Where(c => c != table.Key).ToList();
        var upsert = table.Key is null || others.Count == 0
            ? $"INSERT INTO {table.Name} ({columnList}) VALUES ({values}) ON CONFLICT DO NOTHING RETURNING (xmax = 0)"
            : $"""
                INSERT INTO {table.Name} ({columnList}) VALUES ({values})
                ON CONFLICT ({table.Key}) DO UPDATE SET {string.Join(", ", others.Select(c => $"{c} = excluded.{c}"))}
                WHERE {string.Join(" AND ", table.Identity.Select(c => $"{table.Name}.{c} IS NOT DISTINCT FROM excluded.{c}").DefaultIfEmpty("TRUE"))}
                  AND ({string.Join(", ", others.Select(c => $"{table.Name}.{c}"))}) IS DISTINCT FROM ({string.Join(", ", others.Select(c => $"excluded.{c}"))})
                RETURNING (xmax = 0)
                """;
        var keyIndex = table.Key is null ? -1 : table.Columns.ToList().IndexOf(table.Key);
        long after = 0, copied = 0, updated = 0, unchanged = 0;
        while (true)
        {
            var rows = new List<object?[]>(BatchSize);
            await using (var connection = await source.Database.OpenReadAsync(ct))
            await using (var command = Command(connection, select, ("@after", after), ("@limit", BatchSize)))
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    after = Int64(reader, 0);
                    var row = new object?[table.Columns.Count];
                    for (var i = 0; i < row.Length; i++)
                    {
                        row[i] = reader.IsDBNull(i + 1) ? null : reader.GetValue(i + 1);
                    }

                    rows.Add(row);
                }
            }

            if (rows.Count == 0)
            {
                return new TableCopy(table.Name, copied, updated, unchanged);
            }

            var (batchCopied, batchUpdated) = await target.Database.WriteAsync(async connection =>
            {
                int inserts = 0, updates = 0;
                await using var command = Command(connection, upsert);
                foreach (var row in rows)
                {
                    Bind(command, [.. row.Select((value, i) => ($"@p{i}", value))]);
                    object? result;
                    try
                    {
                        result = await command.ExecuteScalarAsync();
                    }
                    catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.ForeignKeyViolation)
                    {
                        throw Clash(table, keyIndex >= 0 ? row[keyIndex] : null, ex);
                    }

                    if (result is bool inserted)
                    {
                        _ = inserted ? inserts++ : updates++;
                    }
                    else if (keyIndex >= 0 && !await HasSameIdentityAsync(connection, table, keyIndex, row))
                    {
                        throw Clash(table, row[keyIndex], null);
                    }
                }

                return (inserts, updates);
            }, ct);
            copied += batchCopied;
            updated += batchUpdated;
            unchanged += rows.Count - batchCopied - batchUpdated;
        }
    }

    private static InvalidOperationException Clash(Table table, object? key, Exception? inner) => new(
        $"the target's {table.Name} already holds a different record{(key is null ? "" : $" under {table.Key} {key}")}: copy into an empty database, or one only this file was copied into",
        inner);

    /// <summary>True when the target's row under the key is this record (its identity columns agree).</summary>
    private static async Task<bool> HasSameIdentityAsync(DbConnection connection, Table table, int keyIndex, object?[] row)
    {
        if (table.Identity.Count == 0)
        {
            return true;
        }

        await using var command = Command(connection,
            $"SELECT {string.Join(", ", table.Identity)} FROM {table.Name} WHERE {table.Key} = @key", ("@key", row[keyIndex]));
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync())
        {
            return false;
        }

        var columns = table.Columns.ToList();
        for (var i = 0; i < table.Identity.Count; i++)
        {
            if (Normalize(reader.IsDBNull(i) ? null : reader.GetValue(i)) != Normalize(row[columns.IndexOf(table.Identity[i])]))
            {
                return false;
            }
        }

        return true;
    }

    private static async Task<List<string>> ListAsync(DbConnection connection, string sql, CancellationToken ct)
    {
        await using var command = Command(connection, sql);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var names = new List<string>();
        while (await reader.ReadAsync(ct))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    /// <summary>One spelling per value whichever driver read it (SQLite's Int64 and PostgreSQL's Int32 alike).</summary>
    private static string? Normalize(object? value) => value switch
    {
        null => null,
        byte[] bytes => Convert.ToBase64String(bytes),
        double or float => Convert.ToDouble(value, CultureInfo.InvariantCulture).ToString("R", CultureInfo.InvariantCulture),
        IConvertible convertible => convertible.ToString(CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };
}
