namespace CriticBot.Engine.Diff;

/// <summary>GitHub's two sides of a diff: LEFT is the old file, RIGHT the new one.</summary>
public enum DiffSide
{
    Left,
    Right,
}

public enum DiffLineKind
{
    Context,
    Added,
    Removed,
}

/// <summary>One line of a hunk. A number is 0 where the line has none on that side.</summary>
public readonly record struct DiffLine(DiffLineKind Kind, int OldLine, int NewLine, string Text)
{
    /// <summary>The line number on <paramref name="side"/>, or 0 when the line is not on it.</summary>
    public int LineOn(DiffSide side) => side == DiffSide.Right ? NewLine : OldLine;
}

public sealed record DiffHunk
{
    public required int OldStart { get; init; }
    public required int OldCount { get; init; }
    public required int NewStart { get; init; }
    public required int NewCount { get; init; }

    /// <summary>The text after the second <c>@@</c> (often the enclosing function).</summary>
    public string Section { get; init; } = "";

    public required IReadOnlyList<DiffLine> Lines { get; init; }
}

public enum FileChangeKind
{
    Modified,
    Added,
    Deleted,
    Renamed,
    Copied,
}

public sealed record FileDiff
{
    /// <summary>The path on the RIGHT side, or the old path for a deleted file.</summary>
    public required string Path { get; init; }

    /// <summary>The path before the change; equals <see cref="Path"/> unless renamed or copied; null for added files.</summary>
    public string? OldPath { get; init; }

    public FileChangeKind Kind { get; init; } = FileChangeKind.Modified;
    public bool IsBinary { get; init; }
    public string? OldMode { get; init; }
    public string? NewMode { get; init; }

    /// <summary>The similarity index of a rename or copy, in percent.</summary>
    public int? Similarity { get; init; }

    public IReadOnlyList<DiffHunk> Hunks { get; init; } = [];

    public int Additions { get; init; }
    public int Deletions { get; init; }

    /// <summary>True when only the file mode changed (no hunks, not binary).</summary>
    public bool IsModeOnly => !IsBinary && Hunks.Count == 0 && OldMode is not null && NewMode is not null && OldMode != NewMode;
}

public sealed record ParsedDiff
{
    public required IReadOnlyList<FileDiff> Files { get; init; }

    /// <summary>What the parser could not make sense of and skipped (never thrown).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public static ParsedDiff Empty { get; } = new() { Files = [] };
}
