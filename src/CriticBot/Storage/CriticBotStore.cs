using System.Data.Common;

namespace CriticBot.Storage;

/// <summary>
/// The store on SQLite or PostgreSQL: one implementation, one set of portable SQL (see <see cref="SqlDatabase"/>
/// for the few differences), split by aggregate into the inbox (<see cref="IDeliveryInbox"/>), the review ledger
/// (<see cref="IReviewLedger"/>) and the research log (<see cref="IResearchLog"/>). The read methods that no
/// pipeline step needs (one delivery, one review, counts) serve operators, `criticbot db` and tests.
/// </summary>
public sealed partial class CriticBotStore : IDeliveryInbox, IReviewLedger, IResearchLog, IAsyncDisposable, IDisposable
{
    private readonly SqlDatabase _db;
    private readonly TimeProvider _time;

    private CriticBotStore(SqlDatabase db, TimeProvider? time)
    {
        _db = db;
        _time = time ?? TimeProvider.System;
    }

    public DatabaseKind Kind => _db.Kind;

    /// <summary>Where the data lives, safe for logs (no password).</summary>
    public string Description => _db.Description;

    /// <summary>Opens the database CRITICBOT_DATABASE names (see <see cref="DatabaseLocation"/>); nothing is migrated yet.</summary>
    public static CriticBotStore Open(DatabaseLocation location, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(location);
        return location.Kind == DatabaseKind.PostgreSql
            ? new CriticBotStore(new PostgresDatabase(location.Target), time)
            : new CriticBotStore(new SqliteDatabase(location.Target), time);
    }

    /// <inheritdoc cref="Open(DatabaseLocation, TimeProvider?)"/>
    public static CriticBotStore Open(string databaseSetting, TimeProvider? time = null) => Open(DatabaseLocation.Parse(databaseSetting), time);

    /// <summary>
    /// Creates or upgrades the schema under the migration lock, so replicas starting together migrate once.
    /// Returns how many scripts this call applied.
    /// </summary>
    public Task<int> MigrateAsync(CancellationToken ct) => _db.WithMigrationLockAsync(async connection =>
    {
        await SqlDatabase.ExecuteAsync(connection, """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                applied_at BIGINT NOT NULL
            )
            """);
        var applied = new HashSet<long>();
        await using (var command = SqlDatabase.Command(connection, "SELECT version FROM schema_migrations"))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                applied.Add(SqlDatabase.Int64(reader, 0));
            }
        }

        var count = 0;
        foreach (var (version, name, sql) in Migrations.All)
        {
            if (applied.Contains(version))
            {
                continue;
            }

            await SqlDatabase.ExecuteAsync(connection, _db.Render(sql));
            await SqlDatabase.ExecuteAsync(connection,
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@version, @name, @now)",
                ("@version", version), ("@name", name), ("@now", NowMs()));
            count++;
        }

        return count;
    }, ct);

    /// <summary>Cheap round trip for readiness probes; throws when the database is unreachable.</summary>
    public async Task PingAsync(CancellationToken ct)
    {
        await using var connection = await _db.OpenReadAsync(ct);
        await using var command = SqlDatabase.Command(connection, "SELECT COUNT(*) FROM schema_migrations");
        await command.ExecuteScalarAsync(ct);
    }

    /// <summary>The highest applied schema version (0 before migration).</summary>
    public async Task<int> GetSchemaVersionAsync(CancellationToken ct)
    {
        await using var connection = await _db.OpenReadAsync(ct);
        await using var command = SqlDatabase.Command(connection, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
        return Convert.ToInt32(await command.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The newest schema version this build knows.</summary>
    public static int LatestSchemaVersion => Migrations.All[^1].Version;

    internal SqlDatabase Database => _db;

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    // Helpers.

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private Task<int> WriteAsync(string sql, CancellationToken ct, params (string Name, object? Value)[] parameters) =>
        _db.WriteStatementAsync(connection => SqlDatabase.ExecuteAsync(connection, _db.Render(sql), parameters), ct);

    private async Task<T?> ReadOneAsync<T>(string sql, Func<DbDataReader, T> map, CancellationToken ct, params (string Name, object? Value)[] parameters)
        where T : class
    {
        await using var connection = await _db.OpenReadAsync(ct);
        await using var command = SqlDatabase.Command(connection, _db.Render(sql), parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? map(reader) : null;
    }

    private async Task<List<T>> ReadAllAsync<T>(string sql, Func<DbDataReader, T> map, CancellationToken ct, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await _db.OpenReadAsync(ct);
        await using var command = SqlDatabase.Command(connection, _db.Render(sql), parameters);
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<T>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(map(reader));
        }

        return rows;
    }
}
