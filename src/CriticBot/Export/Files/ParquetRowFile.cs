using Parquet;
using Parquet.Serialization;

namespace CriticBot.Export.Files;

/// <summary>
/// A Parquet file written in row groups: rows are buffered until the group reaches <see cref="ParquetLimits"/>
/// (rows or estimated bytes), then serialised as one row group appended to the file, so memory is bounded by
/// one group whatever the export's size. Column names are the rows' [JsonPropertyName] names; nested classes
/// become structs and lists become Parquet lists. A file with no rows still has the schema.
/// </summary>
internal sealed class ParquetRowFile<TRow> : IRowFile<TRow> where TRow : class
{
    private readonly PendingFile _file;
    private readonly ParquetLimits _limits;
    private readonly RowShape _shape = RowShape.Of(typeof(TRow));
    private readonly List<TRow> _group = [];
    private long _groupBytes;
    private bool _started;

    public ParquetRowFile(string path, ParquetLimits limits)
    {
        _limits = limits;
        _file = PendingFile.Create(path);
    }

    public long Rows { get; private set; }

    public int RowGroups { get; private set; }

    public string? FinalPath => _file.FinalPath;

    public async ValueTask WriteAsync(TRow row, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(row);
        _group.Add(row);
        _groupBytes += _shape.EstimateBytes(row);
        Rows++;
        if (_group.Count >= _limits.MaxRowsPerGroup || _groupBytes >= _limits.MaxBytesPerGroup)
        {
            await FlushGroupAsync(cancellationToken);
        }
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (_group.Count > 0 || !_started)
        {
            await FlushGroupAsync(cancellationToken);
        }

        await _file.CommitAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => _file.DisposeAsync();

    private async Task FlushGroupAsync(CancellationToken cancellationToken)
    {
        var options = new ParquetOptions
        {
            Append = _started,
            CompressionMethod = CompressionMethod.Snappy,
            // The stream pool Parquet.Net encodes pages in keeps freed buffers without limit unless told otherwise.
            MaximumSmallPoolFreeBytes = 16 << 20,
            MaximumLargePoolFreeBytes = 64 << 20,
        };
        _file.Stream.Seek(0, SeekOrigin.Begin);
        await ParquetSerializer.SerializeAsync(_group, _file.Stream, options, cancellationToken: cancellationToken);
        _started = true;
        if (_group.Count > 0)
        {
            RowGroups++;
        }

        _group.Clear();
        _groupBytes = 0;
    }
}

/// <summary>When a Parquet row group is full: whichever limit is reached first.</summary>
internal sealed record ParquetLimits
{
    public static ParquetLimits Default { get; } = new();

    // Measured on a million ratings rows (docs/performance.md, "Export"): groups of about 48 MB of rows peaked at
    // 292 MB RSS (Parquet.Net's own buffers per group come on top of the rows, and survive to gen 2); 20,000-row
    // groups at 180 MB for the same CPU time. A group of 25,000 ratings rows is about 3.5 MB compressed.
    public int MaxRowsPerGroup { get; init; } = 25_000;

    /// <summary>Estimated in-memory bytes of the buffered rows (strings at two bytes a character).</summary>
    public long MaxBytesPerGroup { get; init; } = 24L << 20;
}
