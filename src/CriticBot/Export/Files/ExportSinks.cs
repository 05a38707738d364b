namespace CriticBot.Export.Files;

/// <summary>Opens the sink <c>--out</c> asks for (see docs/export.md, "Files").</summary>
public static class ExportSinks
{
    public const string TrainDataFile = "data/train-00000-of-00001.parquet";
    public const string TestDataFile = "data/test-00000-of-00001.parquet";

    /// <summary>
    /// <list type="bullet">
    /// <item>no <c>--out</c>: JSON Lines on <paramref name="stdout"/> (a split cannot go there: that is an error);</item>
    /// <item><c>NAME.jsonl</c> / <c>NAME.parquet</c>: that file; with a split, <c>NAME.train.jsonl</c> and
    /// <c>NAME.test.jsonl</c> (or <c>.parquet</c>) instead;</item>
    /// <item>anything else (an existing folder, a path without those extensions, a trailing slash): a Hugging Face
    /// dataset folder with <c>data/train-00000-of-00001.parquet</c> (and <c>data/test-…</c> with a split) and a
    /// <c>README.md</c> dataset card.</item>
    /// </list>
    /// Throws <see cref="ExportOutputException"/> when <paramref name="outPath"/> cannot be used.
    /// </summary>
    public static IExportSink<TRow> Open<TRow>(string? outPath, bool split, TextWriter stdout) where TRow : class =>
        Open<TRow>(outPath, split, stdout, ParquetLimits.Default);

    /// <summary>What <paramref name="outPath"/> asks for (no checks on the file system beyond "is it a folder").</summary>
    public static OutputKind KindOf(string? outPath)
    {
        if (string.IsNullOrWhiteSpace(outPath))
        {
            return OutputKind.StandardOutput;
        }

        if (outPath.EndsWith('/') || outPath.EndsWith(Path.DirectorySeparatorChar) || Directory.Exists(outPath))
        {
            return OutputKind.DatasetFolder;
        }

        return Path.GetExtension(outPath).ToUpperInvariant() switch
        {
            ".JSONL" => OutputKind.JsonLinesFile,
            ".PARQUET" => OutputKind.ParquetFile,
            _ => OutputKind.DatasetFolder,
        };
    }

    /// <summary>The file a split goes to when <paramref name="outPath"/> names one file: NAME.train.EXT, NAME.test.EXT.</summary>
    public static string SplitFilePath(string outPath, ExportSplit split)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outPath);
        var extension = Path.GetExtension(outPath);
        var stem = outPath[..^extension.Length];
        return $"{stem}.{(split == ExportSplit.Train ? "train" : "test")}{extension}";
    }

    internal static IExportSink<TRow> Open<TRow>(string? outPath, bool split, TextWriter stdout, ParquetLimits limits) where TRow : class
    {
        ArgumentNullException.ThrowIfNull(stdout);
        _ = RowShape.Of(typeof(TRow)); // an unsupported row type fails here, before any file exists
        var kind = KindOf(outPath);
        switch (kind)
        {
            case OutputKind.StandardOutput:
                if (split)
                {
                    throw new ExportOutputException("--split writes two files: give --out a .jsonl or .parquet file or a folder.");
                }

                return new FileSink<TRow>([JsonLinesRowFile<TRow>.ToStandardOutput(stdout)], null);
            case OutputKind.JsonLinesFile:
            case OutputKind.ParquetFile:
                Func<string, IRowFile<TRow>> open = kind == OutputKind.JsonLinesFile
                    ? path => JsonLinesRowFile<TRow>.ToFile(path)
                    : path => new ParquetRowFile<TRow>(path, limits);
                return split
                    ? OpenBoth(open, SplitFilePath(outPath!, ExportSplit.Train), SplitFilePath(outPath!, ExportSplit.Test), null)
                    : new FileSink<TRow>([open(outPath!)], null);
            default:
                if (File.Exists(outPath!))
                {
                    throw new ExportOutputException(
                        $"--out {outPath} is an existing file without a .jsonl or .parquet extension; a dataset folder is written to a folder (a new path or an existing folder).");
                }

                var folder = outPath!.TrimEnd('/', Path.DirectorySeparatorChar);
                var train = Path.Combine(folder, TrainDataFile);
                Func<string, IRowFile<TRow>> openParquet = path => new ParquetRowFile<TRow>(path, limits);
                return split
                    ? OpenBoth(openParquet, train, Path.Combine(folder, TestDataFile), folder)
                    : new FileSink<TRow>([openParquet(train)], folder);
        }
    }

    private static FileSink<TRow> OpenBoth<TRow>(Func<string, IRowFile<TRow>> open, string trainPath, string testPath, string? folder) where TRow : class
    {
        var train = open(trainPath);
        try
        {
            return new FileSink<TRow>([train, open(testPath)], folder);
        }
        catch
        {
            train.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }
}
