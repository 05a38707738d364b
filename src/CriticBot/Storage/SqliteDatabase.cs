using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace CriticBot.Storage;

/// <summary>
/// One SQLite file in WAL mode. Every write of this process goes through one <see cref="SqliteWriter"/> (group
/// commit, synchronous=FULL: a write is on disk when its task completes); reads use pooled connections and run
/// beside it. Several processes may share the file: SQLite's lock and the busy timeout serialise their writers.
/// </summary>
internal sealed class SqliteDatabase : SqlDatabase
{
    private readonly string _connectionString;
    private readonly SqliteWriter _writer;
    private int _disposed;

    /// <param name="path">The database file; its directory must exist.</param>
    public SqliteDatabase(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();

        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            // WAL lets readers run beside the writer; FULL makes every commit durable before we answer 2xx.
            SqliteWriter.Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
        }
        catch
        {
            connection.Dispose();
            SqliteConnection.ClearPool(connection);
            throw;
        }

        _writer = new SqliteWriter(connection);
    }

    public string Path { get; }

    public override DatabaseKind Kind => DatabaseKind.Sqlite;

    public override string Description => Path;

    // INTEGER PRIMARY KEY is SQLite's rowid: 64-bit, assigned when not given.
    protected override string IdColumn => "INTEGER PRIMARY KEY";

    protected override string BlobType => "BLOB";

    // Not needed: the claim runs inside the writer's BEGIN IMMEDIATE, which excludes every other writer.
    protected override string SkipLocked => "";

    protected override bool IndexesAnyText => true;

    public override Task<T> WriteAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken ct) => _writer.WriteAsync(work, ct);

    public override async Task<ScanReader> ScanAsync(string sql, (string Name, object? Value)[] parameters, CancellationToken ct)
    {
        var builder = new SqliteConnectionStringBuilder(_connectionString) { Mode = SqliteOpenMode.ReadWrite, Pooling = false };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            await connection.OpenAsync(ct);
            // The export walks a large file through index joins; SQLite's default 2 MB page cache made half its
            // query time system calls (docs/performance.md, "Export"). Unpooled, so these die with the connection.
            await using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA query_only=1; PRAGMA cache_size=-{ScanCacheKiB};";
            await command.ExecuteNonQueryAsync(ct);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        return SqliteScanReader.Open(connection, sql, parameters, DirectColumnReads);
    }

    /// <summary>Whether scans read columns straight from SQLite (<see cref="SqliteColumns"/>); tests turn it off to cover the other path.</summary>
    internal bool DirectColumnReads { get; init; } = true;

    // 16 MiB a connection. Memory-mapping the file instead cut the system time further but counts the mapped
    // pages in the process's resident memory: 1.1 GB on the million-event benchmark, far over its 300 MB budget.
    private const int ScanCacheKiB = 16 << 10;

    public override async Task<DbConnection> OpenReadAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(ct);
        return connection;
    }

    // The writer's BEGIN IMMEDIATE holds SQLite's write lock against every other connection and process, and
    // SQLite's DDL is transactional: a second process waits, then finds the versions applied.
    public override Task<T> WithMigrationLockAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken ct) => _writer.WriteAsync(work, ct);

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _writer.DisposeAsync();
        // Pooled read connections keep the file open; let go so the file can be moved or deleted.
        using var connection = new SqliteConnection(_connectionString);
        SqliteConnection.ClearPool(connection);
    }
}
