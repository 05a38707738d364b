using CriticBot.Engine.Chunking;
using CriticBot.Engine.Diff;

namespace CriticBot.GitHub;

/// <summary>
/// GitHub's own per-file patches as a diff, and the one check of whether GitHub will anchor a comment there:
/// used by the reviewer (what to post) and by the publisher (what to move into the body after a 422).
/// </summary>
public static class ReviewAnchors
{
    /// <summary>
    /// The pull request's files as a diff, each parsed from GitHub's patch (a file listed twice counts once).
    /// Files GitHub sends no patch for (binary, too large) are in <paramref name="noPatch"/> instead; a pure rename
    /// or copy has no patch and nothing to say about it.
    /// </summary>
    public static ParsedDiff DiffOf(IReadOnlyList<ChangedFile> files, out List<SkippedFile> noPatch)
    {
        ArgumentNullException.ThrowIfNull(files);
        noPatch = [];
        var parsed = new List<FileDiff>(files.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            if (!seen.Add(file.Filename))
            {
                continue;
            }

            if (string.IsNullOrEmpty(file.Patch))
            {
                if (file.Additions + file.Deletions > 0 || file.Status is not ("renamed" or "copied"))
                {
                    noPatch.Add(new SkippedFile(file.Filename, "no patch from GitHub (binary or too large)"));
                }

                continue;
            }

            parsed.Add(DiffParser.ParseFilePatch(file.Filename, file.Patch, file.PreviousFilename, Kind(file.Status)));
        }

        return new ParsedDiff { Files = parsed };
    }

    /// <summary>Splits <paramref name="comments"/> into those GitHub should accept and those it cannot anchor.</summary>
    public static (IReadOnlyList<DraftComment> Valid, IReadOnlyList<DraftComment> Invalid) Split(
        IReadOnlyList<DraftComment> comments, IReadOnlyList<ChangedFile> files)
    {
        ArgumentNullException.ThrowIfNull(comments);
        ArgumentNullException.ThrowIfNull(files);
        var index = new DiffIndex(DiffOf(files, out _));
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
