using System.Data.Common;
using CriticBot.Storage;
using CriticBot.Tests.Fixtures;
using Microsoft.Data.Sqlite;

namespace CriticBot.Tests.Storage;

/// <summary>
/// The export's scans (<see cref="ScanReader"/>), on every database: each value comes back as written (NULL apart
/// from empty text and from zero, repeated and changing texts, long and non-ASCII texts), parameters bind, and
/// misuse fails clearly.
/// </summary>
public abstract class ScanReaderTests : IAsyncLifetime
{
    private SqlDatabase _db = null!;

    private protected abstract Task<SqlDatabase> OpenDatabaseAsync();

    protected virtual void DeleteDatabase()
    {
    }

    public async Task InitializeAsync()
    {
        _db = await OpenDatabaseAsync();
        await _db.WriteAsync(async connection =>
        {
            await SqlDatabase.ExecuteAsync(connection, "CREATE TABLE scan_probe (id BIGINT NOT NULL, n BIGINT NULL, x DOUBLE PRECISION NULL, t TEXT NULL)");
            foreach (var (id, n, x, t) in Rows)
            {
                await SqlDatabase.ExecuteAsync(connection, "INSERT INTO scan_probe (id, n, x, t) VALUES (@id, @n, @x, @t)",
                    ("@id", id), ("@n", n), ("@x", x), ("@t", t));
            }

            return 0;
        }, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _db.DisposeAsync();
        DeleteDatabase();
    }

    private static readonly string Long = string.Concat(Enumerable.Repeat("a long reply é ✓ ", 40));

    private static readonly (long Id, long? N, double? X, string? T)[] Rows =
    [
        (1, null, null, null),
        (2, 0, 0.0, ""),
        (3, -7, 0.25, "o/r"),
        (4, 5_000_000_000, -1.5, "o/r"),
        (5, 1, 2.0, "o/s"),
        (6, 2, 3.0, "o/s"),
        (7, 3, null, Long),
        (8, 4, 4.0, Long),
        (9, 5, 5.0, "héad ✓"),
        (10, null, 6.0, "o/r"),
    ];

    [Fact]
    public async Task Every_value_comes_back_as_written()
    {
        await using var reader = await _db.ScanAsync("SELECT id, n, x, t FROM scan_probe WHERE id >= @from ORDER BY id", [("@from", 1L)], default);
        var read = new List<(long, long?, double?, string?)>();
        string? previous = null;
        while (await reader.ReadAsync(default))
        {
            var row = (reader.GetInt64(0), reader.GetInt64OrNull(1), reader.GetDoubleOrNull(2), reader.GetStringOrNull(3));
            read.Add(row);
            Assert.Equal(row.Item1, reader.GetInt32(0));
            if (row.Item2 is 5_000_000_000)
            {
                Assert.Throws<OverflowException>(() => reader.GetInt32OrNull(1));
            }
            else
            {
                Assert.Equal((int?)row.Item2, reader.GetInt32OrNull(1));
            }

            previous = row.Item4;
        }

        Assert.Equal(Rows, read);
        Assert.Equal("o/r", previous);
        Assert.False(await reader.ReadAsync(default));
    }

    [Fact]
    public async Task Text_parameters_bind_and_repeated_text_is_still_right_when_it_changes()
    {
        await using var reader = await _db.ScanAsync("SELECT t FROM scan_probe WHERE t = @a OR t = @b OR t = @c ORDER BY id",
            [("@a", "o/r"), ("@b", "o/s"), ("@c", null)], default);
        var read = new List<string>();
        while (await reader.ReadAsync(default))
        {
            read.Add(reader.GetString(0));
        }

        Assert.Equal(["o/r", "o/r", "o/s", "o/s", "o/r"], read);
    }

    [Fact]
    public async Task A_null_read_as_a_required_value_fails_clearly()
    {
        await using var reader = await _db.ScanAsync("SELECT n, t FROM scan_probe WHERE id = @id", [("@id", 1L)], default);
        Assert.True(await reader.ReadAsync(default));
        Assert.ThrowsAny<Exception>(() => reader.GetString(1));
        Assert.ThrowsAny<Exception>(() => reader.GetInt64(0));
    }

    [Fact]
    public async Task A_broken_query_fails_when_it_is_opened()
    {
        await Assert.ThrowsAnyAsync<DbException>(() => _db.ScanAsync("SELECT nothing FROM no_such_table", [], default));
    }
}

public sealed class SqliteScanReaderTests : ScanReaderTests
{
    private readonly TestDatabase _file = new();

    private protected override Task<SqlDatabase> OpenDatabaseAsync() => Task.FromResult<SqlDatabase>(new SqliteDatabase(_file.Path));

    protected override void DeleteDatabase() => _file.Dispose();

    [Fact]
    public void Columns_are_read_straight_from_the_sqlite_library_microsoft_data_sqlite_loads()
    {
        Assert.True(SqliteColumns.Available);
    }

    private static async Task<long> PragmaAsync(DbConnection connection, string name)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {name}";
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_scan_is_query_only_with_a_larger_cache_and_leaves_pooled_connections_as_they_were()
    {
        await using var db = new SqliteDatabase(_file.Path);
        long defaultCache;
        await using (var read = await db.OpenReadAsync(CancellationToken.None))
        {
            defaultCache = await PragmaAsync(read, "cache_size");
        }

        await using (var scan = await db.ScanAsync("PRAGMA cache_size", [], default))
        {
            Assert.True(await scan.ReadAsync(default));
            Assert.Equal(-16384, scan.GetInt64(0));
        }

        await using (var scan = await db.ScanAsync("PRAGMA query_only", [], default))
        {
            Assert.True(await scan.ReadAsync(default));
            Assert.Equal(1, scan.GetInt64(0));
        }

        await using (var write = await db.ScanAsync("CREATE TABLE written_by_a_scan (x INTEGER)", [], default))
        {
            await Assert.ThrowsAsync<SqliteException>(async () => await write.ReadAsync(default));
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

    [Fact]
    public async Task An_unknown_parameter_is_refused()
    {
        await using var db = new SqliteDatabase(_file.Path);
        await Assert.ThrowsAsync<ArgumentException>(() => db.ScanAsync("SELECT @a", [("@b", 1L)], default));
    }

    [Fact]
    public async Task Repeated_short_text_is_one_string_and_long_text_is_not_compared()
    {
        await using var db = new SqliteDatabase(_file.Path);
        var read = new List<string>();
        await using (var reader = await db.ScanAsync("SELECT t FROM scan_probe WHERE id IN (3, 4, 7, 8) ORDER BY id", [], default))
        {
            while (await reader.ReadAsync(default))
            {
                read.Add(reader.GetString(0));
            }
        }

        Assert.Same(read[0], read[1]);
        Assert.Equal(read[2], read[3]);
        Assert.NotSame(read[2], read[3]);
    }
}

/// <summary>The same cases with the columns read through SQLitePCLRaw (where SQLite comes from another library).</summary>
public sealed class SqlitePclRawScanReaderTests : ScanReaderTests
{
    private readonly TestDatabase _file = new();

    private protected override Task<SqlDatabase> OpenDatabaseAsync() =>
        Task.FromResult<SqlDatabase>(new SqliteDatabase(_file.Path) { DirectColumnReads = false });

    protected override void DeleteDatabase() => _file.Dispose();
}

public sealed class PostgresScanReaderTests : ScanReaderTests
{
    private protected override async Task<SqlDatabase> OpenDatabaseAsync() =>
        new PostgresDatabase(DatabaseLocation.Parse(await (await PostgresServer.SharedAsync()).CreateDatabaseAsync()).Target);
}
