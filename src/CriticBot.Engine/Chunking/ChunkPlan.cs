using CriticBot.Engine.Diff;

namespace CriticBot.Engine.Chunking;

/// <summary>
/// One unit of work for the critic. <see cref="Files"/> carry only the hunks (or hunk pieces) this chunk holds,
/// with <see cref="FileDiff.Additions"/>/<see cref="FileDiff.Deletions"/> counted over those.
/// </summary>
public sealed record DiffChunk
{
    public required int Index { get; init; }
    public required IReadOnlyList<FileDiff> Files { get; init; }

    private string? _text;

    /// <summary>
    /// The text the model sees, in the format <see cref="ChunkRenderer"/> documents: <see cref="Files"/> rendered on first
    /// use, one blank line between files (a dry run never needs it, and on a 50 MB diff it is 100 MB of strings).
    /// </summary>
    public string Text
    {
        get => _text ??= ChunkRenderer.RenderFiles(Files);
        init => _text = value;
    }

    /// <summary>
    /// The chunk's tokens as the chunker packed it: the sum of its files' (or hunks') counted tokens, headers and
    /// separators, so within a few tokens of counting <see cref="Text"/> as a whole (tested), without a second pass.
    /// </summary>
    public required int EstimatedTokens { get; init; }
}

public sealed record SkippedFile(string Path, string Reason);

public sealed record ChunkPlan
{
    public required IReadOnlyList<DiffChunk> Chunks { get; init; }
    public required IReadOnlyList<SkippedFile> SkippedFiles { get; init; }

    /// <summary>Every place a file or hunk was cut up, one readable line each (for the review summary).</summary>
    public required IReadOnlyList<string> Truncations { get; init; }

    public required int FilesReviewed { get; init; }

    /// <summary>Hunks of the original diff that are reviewed (a hunk cut into pieces counts once).</summary>
    public required int HunksReviewed { get; init; }

    public required int EstimatedPromptTokens { get; init; }
}
