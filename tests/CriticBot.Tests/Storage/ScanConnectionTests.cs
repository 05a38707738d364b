using System.Data.Common;
using CriticBot.Storage;
using CriticBot.Tests.Fixtures;
using Microsoft.Data.Sqlite;

namespace CriticBot.Tests.Storage;

/// <summary>The export's scan connection on SQLite: query-only with a larger page cache, and none of it reaching the pooled connections.</summary>
public sealed class ScanConnectionTests : IDisposable
{
    private readonly TestDatabase _file = new();

    public void Dispose() => _file.Dispose();

    private static async Task<long> PragmaAsync(DbConnection connection, string name)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {name}";
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_sqlite_scan_connection_is_query_only_with_a_larger_cache_and_leaves_pooled_connections_as_they_were()
    {
        await using var db = new SqliteDatabase(_file.Path);
        long defaultCache;
        await using (var read = await db.OpenReadAsync(CancellationToken.None))
        {
            defaultCache = await PragmaAsync(read, "cache_size");
        }

        await using (var scan = await db.OpenScanAsync(CancellationToken.None))
        {
            Assert.Equal(-16384, await PragmaAsync(scan, "cache_size"));
            Assert.Equal(1, await PragmaAsync(scan, "query_only"));
            await using var write = scan.CreateCommand();
            write.CommandText = "CREATE TABLE scan_probe (x INTEGER)";
            await Assert.ThrowsAsync<SqliteException>(() => write.ExecuteNonQueryAsync());
        }

        // Two pooled connections at once, so whichever the pool hands back, neither took the scan's settings.
        await using var first = await db.OpenReadAsync(CancellationToken.None);
        await using var second = await db.OpenReadAsync(CancellationToken.None);
        foreach (var connection in new[] { first, second })
        {
            Assert.Equal(defaultCache, await PragmaAsync(connection, "cache_size"));
            Assert.Equal(0, await PragmaAsync(connection, "query_only"));
        }
    }
}
