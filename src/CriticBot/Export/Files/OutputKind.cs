namespace CriticBot.Export.Files;

/// <summary>What <c>--out</c> asks for.</summary>
public enum OutputKind
{
    /// <summary>No <c>--out</c>: JSON Lines on standard output.</summary>
    StandardOutput,

    /// <summary><c>--out</c> ends in <c>.jsonl</c>.</summary>
    JsonLinesFile,

    /// <summary><c>--out</c> ends in <c>.parquet</c>.</summary>
    ParquetFile,

    /// <summary>Anything else (an existing folder, a path without those extensions, a trailing slash): a Hugging Face dataset folder.</summary>
    DatasetFolder,
}
