using System.Data.Common;
using System.Globalization;

namespace CriticBot.Storage;

/// <summary>Which database engine a <see cref="SqlDatabase"/> talks to.</summary>
public enum DatabaseKind
{
    Sqlite,
    PostgreSql,
}

/// <summary>
/// The few things SQLite and PostgreSQL do differently, behind one seam: how connections and transactions are
/// had, the migration lock, and the handful of SQL fragments that differ (written as {placeholders} in the
/// otherwise shared SQL). Everything else in the store is one set of portable SQL over ADO.NET with @name
/// parameters, which both Microsoft.Data.Sqlite and Npgsql accept.
/// </summary>
internal abstract class SqlDatabase : IAsyncDisposable
{
    public abstract DatabaseKind Kind { get; }

    /// <summary>A description safe for logs and messages: never a password.</summary>
    public abstract string Description { get; }

    /// <summary>Runs <paramref name="work"/> in a transaction of its own (its writes commit together or not at all).</summary>
    public abstract Task<T> WriteAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken ct);

    /// <summary>
    /// Runs a <paramref name="work"/> that issues exactly one statement, atomic by itself: PostgreSQL runs it in
    /// autocommit (no BEGIN/COMMIT round trips); SQLite queues it on the writer like any write.
    /// </summary>
    public virtual Task<T> WriteStatementAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken ct) => WriteAsync(work, ct);

    /// <summary>An open connection for reads outside any write transaction.</summary>
    public abstract Task<DbConnection> OpenReadAsync(CancellationToken ct);

    /// <summary>
    /// Runs one long query (the export's scans) on a connection of its own, read through a <see cref="ScanReader"/>:
    /// by default an ordinary read connection and the provider's reader; SQLite reads through its C API on an
    /// unpooled, query-only connection with a larger page cache, so its settings never reach the service's connections.
    /// </summary>
    public virtual async Task<ScanReader> ScanAsync(string sql, (string Name, object? Value)[] parameters, CancellationToken ct) =>
        await DbScanReader.OpenAsync(await OpenReadAsync(ct), sql, parameters, ct);

    /// <summary>
    /// Runs the migration step holding a lock that every process migrating the same database respects, so
    /// replicas starting together migrate once: SQLite's write lock, PostgreSQL's advisory lock.
    /// </summary>
    public abstract Task<T> WithMigrationLockAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken ct);

    /// <summary>Replaces the dialect placeholders: {id}, {blob}, {skip_locked}, {covering: ...}.</summary>
    public string Render(string sql) => RenderCovering(sql)
        .Replace("{id}", IdColumn, StringComparison.Ordinal)
        .Replace("{blob}", BlobType, StringComparison.Ordinal)
        .Replace("{skip_locked}", SkipLocked, StringComparison.Ordinal);

    /// <summary>
    /// Whether an index may hold text of any length. <c>{covering: , a, b}</c> in an index's column list adds the
    /// columns where it may (SQLite), making the index cover a query; PostgreSQL refuses index rows over about
    /// 2.7 kB, and a reply's text is longer, so there the index keys on the columns before it only.
    /// </summary>
    protected abstract bool IndexesAnyText { get; }

    private string RenderCovering(string sql)
    {
        const string Open = "{covering:";
        var start = sql.IndexOf(Open, StringComparison.Ordinal);
        while (start >= 0)
        {
            var end = sql.IndexOf('}', start);
            if (end < 0)
            {
                throw new ArgumentException("an unclosed {covering: ...} placeholder", nameof(sql));
            }

            var columns = IndexesAnyText ? sql[(start + Open.Length)..end] : "";
            sql = string.Concat(sql.AsSpan(0, start), columns, sql.AsSpan(end + 1));
            start = sql.IndexOf(Open, start + columns.Length, StringComparison.Ordinal);
        }

        return sql;
    }

    /// <summary>A 64-bit primary key the database assigns (and that an explicit value may also fill, for copies).</summary>
    protected abstract string IdColumn { get; }

    protected abstract string BlobType { get; }

    /// <summary>Appended to a claim's pick: rows another transaction is claiming are passed over, not waited for.</summary>
    protected abstract string SkipLocked { get; }

    public abstract ValueTask DisposeAsync();

    // ADO.NET helpers shared by every statement of the store.

    public static DbCommand Command(DbConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        Bind(command, parameters);
        return command;
    }

    /// <summary>Replaces the command's parameters (a prepared insert re-run per row).</summary>
    public static void Bind(DbCommand command, params (string Name, object? Value)[] parameters)
    {
        command.Parameters.Clear();
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
    }

    public static async Task<int> ExecuteAsync(DbConnection connection, string sql, params (string Name, object? Value)[] parameters)
    {
        await using var command = Command(connection, sql, parameters);
        return await command.ExecuteNonQueryAsync();
    }

    // Readers: SQLite hands back Int64 for every integer and PostgreSQL the column's own width; convert, never cast.

    public static long Int64(DbDataReader reader, int ordinal) => Convert.ToInt64(reader.GetValue(ordinal), CultureInfo.InvariantCulture);

    public static int Int32(DbDataReader reader, int ordinal) => Convert.ToInt32(reader.GetValue(ordinal), CultureInfo.InvariantCulture);

    public static string? NullableString(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public static long? NullableInt64(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : Int64(reader, ordinal);

    public static int? NullableInt32(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : Int32(reader, ordinal);

    public static double? NullableDouble(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : Convert.ToDouble(reader.GetValue(ordinal), CultureInfo.InvariantCulture);
}
