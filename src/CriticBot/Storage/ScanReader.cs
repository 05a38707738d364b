using System.Data.Common;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace CriticBot.Storage;

/// <summary>
/// The rows of one long query (the export's scans), read forward only with typed getters, on a connection the
/// reader owns. Getters take the column's ordinal; integer getters widen or narrow like both ADO.NET providers do.
/// The <c>OrNull</c> getters are one call where <c>IsDBNull</c> and a getter are two: the hot loops read about
/// twenty columns of a million rows.
/// </summary>
internal abstract class ScanReader : IAsyncDisposable
{
    public abstract ValueTask<bool> ReadAsync(CancellationToken ct);

    public abstract long GetInt64(int ordinal);

    public abstract string GetString(int ordinal);

    public abstract long? GetInt64OrNull(int ordinal);

    public abstract double? GetDoubleOrNull(int ordinal);

    public abstract string? GetStringOrNull(int ordinal);

    public int GetInt32(int ordinal) => checked((int)GetInt64(ordinal));

    public int? GetInt32OrNull(int ordinal) => GetInt64OrNull(ordinal) is { } value ? checked((int)value) : null;

    public abstract ValueTask DisposeAsync();
}

/// <summary>A scan through ADO.NET (PostgreSQL): the provider's reader, on a connection of its own.</summary>
internal sealed class DbScanReader(DbConnection connection, DbCommand command, DbDataReader reader) : ScanReader
{
    public static async Task<ScanReader> OpenAsync(DbConnection connection, string sql, (string Name, object? Value)[] parameters, CancellationToken ct)
    {
        DbCommand? command = null;
        try
        {
            command = SqlDatabase.Command(connection, sql, parameters);
            var reader = await command.ExecuteReaderAsync(ct);
            return new DbScanReader(connection, command, reader);
        }
        catch
        {
            if (command is not null)
            {
                await command.DisposeAsync();
            }

            await connection.DisposeAsync();
            throw;
        }
    }

    public override async ValueTask<bool> ReadAsync(CancellationToken ct) => await reader.ReadAsync(ct);

    public override long GetInt64(int ordinal) => SqlDatabase.Int64(reader, ordinal);

    public override string GetString(int ordinal) => reader.GetString(ordinal);

    public override long? GetInt64OrNull(int ordinal) => reader.IsDBNull(ordinal) ? null : SqlDatabase.Int64(reader, ordinal);

    public override double? GetDoubleOrNull(int ordinal) => SqlDatabase.NullableDouble(reader, ordinal);

    public override string? GetStringOrNull(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    public override async ValueTask DisposeAsync()
    {
        await reader.DisposeAsync();
        await command.DisposeAsync();
        await connection.DisposeAsync();
    }
}

/// <summary>
/// A scan of SQLite through its C API (SQLitePCLRaw, the library Microsoft.Data.Sqlite itself calls) on a
/// Microsoft.Data.Sqlite connection, its columns read through <see cref="SqliteColumns"/> where available.
/// Microsoft.Data.Sqlite's reader checks its state and the column's type on every call; reading a million events
/// through it took 5.6 s, against 3.3 s through SQLitePCLRaw and about 2 s directly (docs/performance.md, "Export").
/// A short text equal to the same column's text in the previous row is handed back as the same string: the scans
/// come in comment order, so repository, head, path, kind and fingerprint mostly repeat, and are then neither
/// decoded nor allocated again.
/// </summary>
internal sealed class SqliteScanReader : ScanReader
{
    // Longer texts (replies, quotes) rarely repeat row to row; comparing them would cost more than it saves.
    private const int RepeatedTextLimit = 256;

    private readonly SqliteConnection _connection;
    private readonly sqlite3_stmt _statement;
    private readonly string?[] _lastText;
    private readonly byte[][] _lastBytes;
    private readonly int[] _lastLength;
    private readonly nint _handle;
    private readonly bool _direct;
    private bool _referenced;
    private bool _done;

    private SqliteScanReader(SqliteConnection connection, sqlite3_stmt statement, bool direct)
    {
        _connection = connection;
        _statement = statement;
        // Column reads go straight to SQLite (SqliteColumns) on the statement's pointer, held by a reference on its
        // handle until the reader is disposed.
        _direct = direct && SqliteColumns.Available;
        if (_direct)
        {
            statement.DangerousAddRef(ref _referenced);
            _handle = statement.DangerousGetHandle();
        }

        var columns = raw.sqlite3_column_count(statement);
        _lastText = new string?[columns];
        _lastBytes = new byte[columns][];
        _lastLength = new int[columns];
        for (var i = 0; i < columns; i++)
        {
            _lastBytes[i] = [];
        }
    }

    /// <summary>Prepares <paramref name="sql"/> on the open <paramref name="connection"/>, which the reader then owns.</summary>
    /// <param name="direct">Read columns through <see cref="SqliteColumns"/> where it is available; false: through SQLitePCLRaw.</param>
    public static ScanReader Open(SqliteConnection connection, string sql, (string Name, object? Value)[] parameters, bool direct = true)
    {
        sqlite3_stmt? statement = null;
        try
        {
            var db = connection.Handle ?? throw new InvalidOperationException("the SQLite connection is not open");
            Check(db, raw.sqlite3_prepare_v2(db, sql, out statement));
            foreach (var (name, value) in parameters)
            {
                var index = raw.sqlite3_bind_parameter_index(statement, name);
                if (index == 0)
                {
                    throw new ArgumentException($"the scan has no parameter {name}", nameof(parameters));
                }

                Check(db, value switch
                {
                    null => raw.sqlite3_bind_null(statement, index),
                    long number => raw.sqlite3_bind_int64(statement, index, number),
                    int number => raw.sqlite3_bind_int64(statement, index, number),
                    string text => raw.sqlite3_bind_text(statement, index, text),
                    _ => throw new ArgumentException($"{name}: a scan binds integers and text, not {value.GetType().Name}", nameof(parameters)),
                });
            }

            return new SqliteScanReader(connection, statement, direct);
        }
        catch
        {
            statement?.Dispose();
            connection.Dispose();
            throw;
        }
    }

    public override ValueTask<bool> ReadAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        if (_done)
        {
            // Stepping a finished statement would run it again from the start.
            return ValueTask.FromResult(false);
        }

        var result = raw.sqlite3_step(_statement);
        if (result == raw.SQLITE_ROW)
        {
            return ValueTask.FromResult(true);
        }

        _done = true;
        return result == raw.SQLITE_DONE ? ValueTask.FromResult(false) : ValueTask.FromException<bool>(Error(_connection.Handle!, result));
    }

    public override long GetInt64(int ordinal) => GetInt64OrNull(ordinal) ?? throw NullAt(ordinal);

    public override string GetString(int ordinal) => GetStringOrNull(ordinal) ?? throw NullAt(ordinal);

    public override long? GetInt64OrNull(int ordinal)
    {
        // SQLite gives 0 for NULL: only a 0 needs the type looked up.
        var value = _direct ? SqliteColumns.Int64(_handle, ordinal) : raw.sqlite3_column_int64(_statement, ordinal);
        return value == 0 && IsNull(ordinal) ? null : value;
    }

    public override double? GetDoubleOrNull(int ordinal)
    {
        var value = _direct ? SqliteColumns.Double(_handle, ordinal) : raw.sqlite3_column_double(_statement, ordinal);
        return value == 0 && IsNull(ordinal) ? null : value;
    }

    public override string? GetStringOrNull(int ordinal)
    {
        // Text is read as its UTF-8 bytes (SQLite's storage here); no bytes means NULL or the empty string.
        var bytes = _direct ? SqliteColumns.Bytes(_handle, ordinal) : raw.sqlite3_column_blob(_statement, ordinal);
        if (bytes.IsEmpty)
        {
            return IsNull(ordinal) ? null : "";
        }

        if (bytes.Length > RepeatedTextLimit)
        {
            return Encoding.UTF8.GetString(bytes);
        }

        var last = _lastText[ordinal];
        if (last is not null && bytes.SequenceEqual(_lastBytes[ordinal].AsSpan(0, _lastLength[ordinal])))
        {
            return last;
        }

        var text = Encoding.UTF8.GetString(bytes);
        if (_lastBytes[ordinal].Length < bytes.Length)
        {
            _lastBytes[ordinal] = new byte[Math.Max(bytes.Length, 64)];
        }

        bytes.CopyTo(_lastBytes[ordinal]);
        _lastLength[ordinal] = bytes.Length;
        _lastText[ordinal] = text;
        return text;
    }

    public override ValueTask DisposeAsync()
    {
        if (_referenced)
        {
            _referenced = false;
            _statement.DangerousRelease();
        }

        _statement.Dispose();
        _connection.Dispose();
        return ValueTask.CompletedTask;
    }

    private bool IsNull(int ordinal) =>
        _direct ? SqliteColumns.IsNull(_handle, ordinal) : raw.sqlite3_column_type(_statement, ordinal) == raw.SQLITE_NULL;

    private static InvalidOperationException NullAt(int ordinal) => new($"column {ordinal} of the scan is NULL");

    private static void Check(sqlite3 db, int result)
    {
        if (result != raw.SQLITE_OK)
        {
            throw Error(db, result);
        }
    }

    private static SqliteException Error(sqlite3 db, int result) =>
        new($"SQLite error {result}: {raw.sqlite3_errmsg(db).utf8_to_string()}", result, raw.sqlite3_extended_errcode(db));
}
