using CriticBot.Engine.Diff;

namespace CriticBot.GitHub;

/// <summary>Checks draft comments against GitHub's own per-file patches, with the engine's diff parser and index.</summary>
public static class ReviewAnchors
{
    /// <summary>Splits <paramref name="comments"/> into those GitHub should accept and those it cannot anchor.</summary>
    public static (IReadOnlyList<DraftComment> Valid, IReadOnlyList<DraftComment> Invalid) Split(
        IReadOnlyList<DraftComment> comments, IReadOnlyList<ChangedFile> files)
    {
        ArgumentNullException.ThrowIfNull(comments);
        ArgumentNullException.ThrowIfNull(files);
        var index = new DiffIndex(new ParsedDiff
        {
            // Only the files GitHub lists count, each parsed from GitHub's patch (none for binary or too-large files).
            Files = files
                .GroupBy(file => file.Filename, StringComparer.Ordinal)
                .Select(group => group.First())
                .Select(file => DiffParser.ParseFilePatch(file.Filename, file.Patch, file.PreviousFilename, Kind(file.Status)))
                .ToList(),
        });
        var valid = new List<DraftComment>();
        var invalid = new List<DraftComment>();
        foreach (var comment in comments)
            (IsAnchorable(index, comment) ? valid : invalid).Add(comment);
        return (valid, invalid);
    }

    public static bool IsAnchorable(DiffIndex index, DraftComment comment)
    {
        ArgumentNullException.ThrowIfNull(index);
        ArgumentNullException.ThrowIfNull(comment);
        if (index.FindFile(comment.Path) is null || !index.IsCommentable(comment.Path, comment.Line, comment.Side))
            return false;
        if (comment.StartLine is not { } start)
            return true;
        var startSide = comment.StartSide ?? comment.Side;
        if (startSide == comment.Side)
            return index.CanSpan(comment.Path, start, comment.Line, comment.Side);
        // A range from the old side to the new one: both ends in the same hunk, the start line appearing first.
        var hunk = index.HunkAt(comment.Path, comment.Line, comment.Side);
        if (hunk is null || !ReferenceEquals(hunk, index.HunkAt(comment.Path, start, startSide)))
            return false;
        var startPosition = PositionIn(hunk, start, startSide);
        var endPosition = PositionIn(hunk, comment.Line, comment.Side);
        return startPosition >= 0 && startPosition <= endPosition && !(startPosition == endPosition && startSide == DiffSide.Right);
    }

    private static int PositionIn(DiffHunk hunk, int line, DiffSide side)
    {
        for (var i = 0; i < hunk.Lines.Count; i++)
        {
            if (hunk.Lines[i].LineOn(side) == line)
                return i;
        }
        return -1;
    }

    private static FileChangeKind Kind(string status) => status switch
    {
        "added" => FileChangeKind.Added,
        "removed" => FileChangeKind.Deleted,
        "renamed" => FileChangeKind.Renamed,
        "copied" => FileChangeKind.Copied,
        _ => FileChangeKind.Modified,
    };
}
