namespace CriticBot.Export.Files;

/// <summary>
/// The sink behind every <c>--out</c>: one row file per split (train only, or train and test) and, for a dataset
/// folder, the <c>README.md</c> card written last, once the data files have their real names.
/// </summary>
internal sealed class FileSink<TRow> : IExportSink<TRow> where TRow : class
{
    private readonly IRowFile<TRow>[] _files;
    private readonly string? _datasetFolder;
    private bool _completed;

    public FileSink(IRowFile<TRow>[] files, string? datasetFolder)
    {
        _files = files;
        _datasetFolder = datasetFolder;
        OutputPaths = [.. files.Select(f => f.FinalPath).OfType<string>(), .. datasetFolder is null ? Array.Empty<string>() : [Path.Combine(datasetFolder, "README.md")]];
    }

    public IReadOnlyList<string> OutputPaths { get; }

    public long RowCount(ExportSplit split) => FileOf(split, throwIfMissing: false)?.Rows ?? 0;

    public ValueTask WriteAsync(TRow row, ExportSplit split, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        return FileOf(split, throwIfMissing: true)!.WriteAsync(row, cancellationToken);
    }

    public async ValueTask CompleteAsync(DatasetCard card, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(card);
        ObjectDisposedException.ThrowIf(_completed, this);
        PendingFile? readme = null;
        try
        {
            if (_datasetFolder is not null)
            {
                var rows = new Dictionary<ExportSplit, long> { [ExportSplit.Train] = RowCount(ExportSplit.Train) };
                if (_files.Length > 1)
                {
                    rows[ExportSplit.Test] = RowCount(ExportSplit.Test);
                }

                readme = await DatasetFolder.WriteCardAsync(_datasetFolder, card, RowShape.Of(typeof(TRow)), rows, cancellationToken);
            }

            foreach (var file in _files)
            {
                await file.CompleteAsync(cancellationToken);
            }

            if (readme is not null)
            {
                await DatasetFolder.FinishAsync(_datasetFolder!, readme, _files.Length > 1 ? [ExportSplit.Train, ExportSplit.Test] : [ExportSplit.Train], cancellationToken);
            }
        }
        finally
        {
            if (readme is not null)
            {
                await readme.DisposeAsync(); // deletes the pending card unless it was committed
            }
        }

        _completed = true;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var file in _files)
        {
            await file.DisposeAsync();
        }

        _completed = true;
    }

    private IRowFile<TRow>? FileOf(ExportSplit split, bool throwIfMissing) => split switch
    {
        ExportSplit.Train => _files[0],
        ExportSplit.Test when _files.Length > 1 => _files[1],
        _ when throwIfMissing => throw new InvalidOperationException($"This export was opened without a split: every row is {nameof(ExportSplit.Train)}."),
        _ => null,
    };
}
