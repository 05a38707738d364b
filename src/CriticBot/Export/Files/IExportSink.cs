namespace CriticBot.Export.Files;

/// <summary>
/// Where exported rows go: JSON Lines (standard output or a file), a Parquet file, or a Hugging Face dataset folder
/// (<see cref="ExportSinks.Open{TRow}"/> picks one from <c>--out</c>). Rows are written one at a time, so memory stays
/// bounded whatever the export's size. Files are written under temporary names and get their real names only in
/// <see cref="CompleteAsync"/>: disposing a sink that was not completed (a failed or cancelled export) deletes
/// what it wrote, so a half-written file never looks like a finished export.
/// </summary>
/// <typeparam name="TRow">A sealed class whose properties carry <c>[JsonPropertyName]</c> names: those names are the
/// JSON keys and the Parquet column names.</typeparam>
public interface IExportSink<in TRow> : IAsyncDisposable where TRow : class
{
    /// <summary>Writes one row to the file of <paramref name="split"/>.</summary>
    ValueTask WriteAsync(TRow row, ExportSplit split, CancellationToken cancellationToken);

    /// <summary>
    /// Finishes the files and gives them their real names; a dataset folder also gets its <c>README.md</c> dataset
    /// card from <paramref name="card"/> (single files ignore the card). Call once, after the last row.
    /// </summary>
    ValueTask CompleteAsync(DatasetCard card, CancellationToken cancellationToken);

    /// <summary>Rows written so far to <paramref name="split"/>.</summary>
    long RowCount(ExportSplit split);

    /// <summary>The paths the export writes (or wrote), for the summary line; empty for standard output.</summary>
    IReadOnlyList<string> OutputPaths { get; }
}
