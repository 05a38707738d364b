namespace CriticBot.Engine.Diff;

/// <summary>
/// Answers GitHub's rules for anchoring review comments in a diff: a comment may sit only on a line that appears
/// in a hunk (RIGHT: added or context lines by new number; LEFT: removed or context lines by old number), and a
/// multi-line comment must start and end in the same hunk. Lookups are built once; each query is O(log hunks).
/// </summary>
public sealed class DiffIndex
{
    private readonly Dictionary<string, FileLookup> _files = new(StringComparer.Ordinal);

    public DiffIndex(ParsedDiff diff)
    {
        ArgumentNullException.ThrowIfNull(diff);
        Diff = diff;
        foreach (var file in diff.Files)
        {
            // A malformed diff may name a file twice; the first one wins, as GitHub shows only one.
            var lookup = new FileLookup(file);
            _files.TryAdd(file.Path, lookup);
            if (file.Kind == FileChangeKind.Deleted && file.OldPath is { } oldPath)
                _files.TryAdd(oldPath, lookup);
        }
    }

    public ParsedDiff Diff { get; }

    /// <summary>The file whose RIGHT path (or, for a deleted file, old path) is <paramref name="path"/>.</summary>
    public FileDiff? FindFile(string path) => Lookup(path)?.File;

    public bool IsCommentable(string path, int line, DiffSide side) => HunkIndexAt(path, line, side) >= 0;

    /// <summary>
    /// Whether a comment may span <paramref name="startLine"/>..<paramref name="endLine"/> on one side:
    /// start before end, both commentable, both in the same hunk.
    /// </summary>
    public bool CanSpan(string path, int startLine, int endLine, DiffSide side)
    {
        if (startLine >= endLine)
            return false;
        var startHunk = HunkIndexAt(path, startLine, side);
        return startHunk >= 0 && startHunk == HunkIndexAt(path, endLine, side);
    }

    public DiffHunk? HunkAt(string path, int line, DiffSide side)
    {
        var lookup = Lookup(path);
        if (lookup is null)
            return null;
        var index = lookup.HunkIndexAt(line, side);
        return index >= 0 ? lookup.File.Hunks[index] : null;
    }

    private int HunkIndexAt(string path, int line, DiffSide side) => Lookup(path)?.HunkIndexAt(line, side) ?? -1;

    private FileLookup? Lookup(string? path) =>
        path is not null && _files.TryGetValue(path, out var lookup) ? lookup : null;

    private sealed class FileLookup(FileDiff file)
    {
        private readonly LineRanges _left = LineRanges.Build(file, DiffSide.Left);
        private readonly LineRanges _right = LineRanges.Build(file, DiffSide.Right);

        public FileDiff File { get; } = file;

        public int HunkIndexAt(int line, DiffSide side) =>
            line <= 0 ? -1 : (side == DiffSide.Right ? _right : _left).HunkIndexAt(line);
    }

    /// <summary>
    /// The line numbers one side of a file shows, as sorted runs of consecutive numbers, each tagged with its hunk.
    /// A parsed hunk gives one run per side; hand-built hunks with gaps give several.
    /// </summary>
    private sealed class LineRanges
    {
        private readonly int[] _starts;
        private readonly int[] _ends;
        private readonly int[] _hunks;
        private readonly bool _overlapping;

        private LineRanges(int[] starts, int[] ends, int[] hunks, bool overlapping)
        {
            _starts = starts;
            _ends = ends;
            _hunks = hunks;
            _overlapping = overlapping;
        }

        public static LineRanges Build(FileDiff file, DiffSide side)
        {
            var runs = new List<(int Start, int End, int Hunk)>(file.Hunks.Count);
            for (var hunk = 0; hunk < file.Hunks.Count; hunk++)
            {
                int start = 0, end = 0;
                foreach (var line in file.Hunks[hunk].Lines)
                {
                    var number = line.LineOn(side);
                    if (number <= 0)
                        continue;
                    if (start > 0 && number == end + 1)
                    {
                        end = number;
                        continue;
                    }

                    if (start > 0)
                        runs.Add((start, end, hunk));
                    start = end = number;
                }

                if (start > 0)
                    runs.Add((start, end, hunk));
            }

            // Stable by hunk order for equal starts, so the first hunk wins when a malformed diff overlaps.
            runs.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.Hunk.CompareTo(b.Hunk));
            var overlapping = false;
            for (var i = 1; i < runs.Count && !overlapping; i++)
                overlapping = runs[i].Start <= runs[i - 1].End;

            return new LineRanges(
                runs.Select(r => r.Start).ToArray(),
                runs.Select(r => r.End).ToArray(),
                runs.Select(r => r.Hunk).ToArray(),
                overlapping);
        }

        public int HunkIndexAt(int line)
        {
            if (_overlapping)
                return LinearHunkIndexAt(line);

            // The last run starting at or before the line.
            var position = Array.BinarySearch(_starts, line);
            if (position < 0)
                position = ~position - 1;
            return position >= 0 && line <= _ends[position] ? _hunks[position] : -1;
        }

        private int LinearHunkIndexAt(int line)
        {
            var best = -1;
            for (var i = 0; i < _starts.Length && _starts[i] <= line; i++)
            {
                if (line <= _ends[i] && (best < 0 || _hunks[i] < best))
                    best = _hunks[i];
            }

            return best;
        }
    }
}
