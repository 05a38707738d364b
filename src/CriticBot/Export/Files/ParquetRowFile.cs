using Parquet;

namespace CriticBot.Export.Files;

/// <summary>
/// A Parquet file written in row groups: rows are buffered until the group reaches <see cref="ParquetLimits"/>
/// (rows or estimated bytes), then written as one row group, so memory is bounded whatever the export's size.
/// Column names are the rows' [JsonPropertyName] names; nested classes become structs and lists become Parquet
/// lists (<see cref="ParquetColumns"/>: the schema Parquet.Net's serializer gives the class). Full groups are
/// encoded in order on the thread pool while the caller fills the next one, so reading rows and encoding Parquet use
/// both cores; at most <see cref="ParquetLimits.GroupsInFlight"/> + 1 groups are in memory. A file with no rows
/// still has the schema.
/// </summary>
internal sealed class ParquetRowFile<TRow> : IRowFile<TRow> where TRow : class
{
    private readonly PendingFile _file;
    private readonly ParquetLimits _limits;
    private readonly RowShape _shape = RowShape.Of(typeof(TRow));
    private readonly ParquetColumns _columns = ParquetColumns.For(typeof(TRow));
    private List<TRow> _group = [];
    private readonly Stack<List<TRow>> _spares = new();
    private readonly Queue<Task> _inFlight = new();
    private Task _writing = Task.CompletedTask;
    private ParquetWriter? _writer;
    private long _groupBytes;

    public ParquetRowFile(string path, ParquetLimits limits)
    {
        _limits = limits;
        _file = PendingFile.Create(path);
    }

    public long Rows { get; private set; }

    public string? FinalPath => _file.FinalPath;

    public async ValueTask WriteAsync(TRow row, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(row);
        _group.Add(row);
        _groupBytes += _shape.EstimateBytes(row);
        Rows++;
        if (_group.Count >= _limits.MaxRowsPerGroup || _groupBytes >= _limits.MaxBytesPerGroup)
        {
            await StartGroupAsync(cancellationToken);
        }
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (_group.Count > 0)
        {
            await StartGroupAsync(cancellationToken);
        }

        await _writing;
        var writer = _writer ?? await CreateWriterAsync(cancellationToken);
        _writer = null;
        await writer.DisposeAsync(); // writes the footer
        await _file.CommitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        // After a failure the group being written has already reported its error (or will not matter): the
        // pending file is deleted either way.
        await _writing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_writer is not null)
        {
            try
            {
                await _writer.DisposeAsync();
            }
            catch (IOException)
            {
                // The file is being abandoned; the error that caused it is what the caller sees.
            }
        }

        await _file.DisposeAsync();
    }

    /// <summary>
    /// Queues the full group behind those being written (waiting only when <see cref="ParquetLimits.GroupsInFlight"/>
    /// are already queued); groups are written one at a time, in order, on the thread pool.
    /// </summary>
    private async Task StartGroupAsync(CancellationToken cancellationToken)
    {
        while (_inFlight.Count >= _limits.GroupsInFlight)
        {
            await _inFlight.Dequeue();
        }

        var full = _group;
        lock (_spares)
        {
            _group = _spares.Count > 0 ? _spares.Pop() : [];
        }

        _groupBytes = 0;
        var previous = _writing;
        // No token for Task.Run itself: a cancelled run would skip the wait for the group before it, and disposal
        // could then close the writer under that group. WriteGroupAsync sees the token.
        _writing = Task.Run(async () =>
        {
            await previous;
            await WriteGroupAsync(full, cancellationToken);
        }, CancellationToken.None);
        _inFlight.Enqueue(_writing);
    }

    private async Task WriteGroupAsync(List<TRow> rows, CancellationToken cancellationToken)
    {
        _writer ??= await CreateWriterAsync(cancellationToken);
        await _columns.WriteRowGroupAsync(_writer, rows, cancellationToken);
        rows.Clear();
        lock (_spares)
        {
            _spares.Push(rows);
        }
    }

    private async Task<ParquetWriter> CreateWriterAsync(CancellationToken cancellationToken) =>
        await ParquetWriter.CreateAsync(_columns.Schema, new SynchronousStream(_file.Stream), new ParquetOptions
        {
            CompressionMethod = CompressionMethod.Snappy,
            // Decide on dictionary encoding from a sample: columns of mostly unique text (replies, fingerprints, SHAs)
            // otherwise get a full dictionary built and thrown away in every row group.
            DictionaryEncodingSampleSize = 1024,
            // The stream pool Parquet.Net encodes pages in keeps freed buffers without limit unless told otherwise.
            MaximumSmallPoolFreeBytes = 16 << 20,
            MaximumLargePoolFreeBytes = 64 << 20,
        }, cancellationToken: cancellationToken);
}

/// <summary>When a Parquet row group is full: whichever limit is reached first.</summary>
internal sealed record ParquetLimits
{
    public static ParquetLimits Default { get; } = new();

    // Measured on a million ratings rows (docs/performance.md, "Export"): groups of about 48 MB of rows peaked at
    // 292 MB RSS (Parquet.Net's own buffers per group come on top of the rows, and survive to gen 2); 20,000-row
    // groups at 180 MB for the same CPU time. A group of 25,000 ratings rows is about 3.5 MB compressed.
    // Up to three groups are in memory (one filling, GroupsInFlight queued or being encoded), so each is smaller.
    // Ratings, three runs each: 8,000 rows peaked at 185-205 MB, 12,000 at 218-273 MB, at the same speed or better.
    public int MaxRowsPerGroup { get; init; } = 8_000;

    /// <summary>Estimated in-memory bytes of the buffered rows (strings at two bytes a character).</summary>
    public long MaxBytesPerGroup { get; init; } = 8L << 20;

    /// <summary>
    /// Full groups queued or being written before the producer waits. Two let the writer's slow groups (long replies)
    /// and the reader's slow stretches even out: with one, the export waited about 0.9 s of 8 s for the writer.
    /// </summary>
    public int GroupsInFlight { get; init; } = 2;
}
