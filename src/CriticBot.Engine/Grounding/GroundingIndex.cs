using System.Text;
using System.Text.RegularExpressions;
using CriticBot.Engine.Critic;
using CriticBot.Engine.Diff;

namespace CriticBot.Engine.Grounding;

/// <summary>Where a grounded highlight goes: lines StartLine..Line on one side of one file.</summary>
public sealed record Anchor
{
    public required string Path { get; init; }
    public required DiffSide Side { get; init; }

    /// <summary>The first anchored line; equals <see cref="Line"/> for a one-line comment.</summary>
    public required int StartLine { get; init; }

    /// <summary>The last anchored line (GitHub's <c>line</c>).</summary>
    public required int Line { get; init; }

    public bool IsMultiLine => StartLine != Line;
}

public enum GroundingFailure
{
    None,
    FileNotInDiff,
    QuoteTooShort,
    QuoteNotFound,
    NotCommentable,

    /// <summary>The quote runs from one hunk into the next: the lines between them are not in the diff.</summary>
    CrossesHunk,
}

public sealed record GroundingResult
{
    public Anchor? Anchor { get; init; }
    public GroundingFailure Failure { get; init; }
    public bool IsGrounded => Anchor is not null;

    /// <summary>Why the highlight could not be anchored, in words (null when grounded).</summary>
    public string? Reason => Failure switch
    {
        GroundingFailure.FileNotInDiff => "the file is not in the reviewed diff",
        GroundingFailure.QuoteTooShort => $"the quote has fewer than {GroundingIndex.MinimumQuoteCharacters} non-space characters",
        GroundingFailure.QuoteNotFound => "the quote is not in the diff of its file",
        GroundingFailure.NotCommentable => "GitHub does not allow a comment on the lines of the quote",
        GroundingFailure.CrossesHunk => "the quote runs across two hunks of its file (the lines between them are not in the diff)",
        _ => null,
    };
}

/// <summary>
/// Finds a highlight's quote in the diff of its file and anchors the comment where the quote IS.
/// Matching ignores all white space (line breaks included), so a quote may be part of a line or
/// span several consecutive lines of one hunk. Both RIGHT-side lines (context and added, new numbers)
/// and LEFT-side lines (context and removed, old numbers) are searched. The model's line number only
/// breaks ties between several matches: the nearest wins, then the first; the right side wins unless
/// the model's lines fall on a left match that takes in a removed line and not on the right match.
/// A quote that crosses a hunk boundary is not verbatim (the lines between hunks are not in the diff),
/// so it is ungrounded. Every line of a hunk is one GitHub accepts a review comment on.
/// </summary>
public sealed partial class GroundingIndex
{
    /// <summary>Shorter quotes ("}", "i++") match almost anywhere and mean nothing.</summary>
    public const int MinimumQuoteCharacters = 3;

    private readonly Dictionary<string, FileDiff> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Path, DiffSide Side), IReadOnlyList<SearchableHunk>> _hunks = [];
    private readonly DiffIndex _commentable;

    public GroundingIndex(IEnumerable<FileDiff> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var indexed = new List<FileDiff>();
        foreach (var file in files)
        {
            if (file.IsBinary || !_files.TryAdd(file.Path, file))
            {
                continue;
            }

            indexed.Add(file);

            _hunks[(file.Path, DiffSide.Right)] = [.. file.Hunks.Select(h => SearchableHunk.Build(h, DiffSide.Right))];
            _hunks[(file.Path, DiffSide.Left)] = [.. file.Hunks.Select(h => SearchableHunk.Build(h, DiffSide.Left))];
        }

        _commentable = new DiffIndex(new ParsedDiff { Files = indexed });
    }

    public GroundingIndex(ParsedDiff diff)
        : this((diff ?? throw new ArgumentNullException(nameof(diff))).Files)
    {
    }

    public GroundingResult Ground(RawHighlight highlight)
    {
        ArgumentNullException.ThrowIfNull(highlight);
        var path = ResolvePath(highlight.Path);
        if (path is null)
        {
            return new GroundingResult { Failure = GroundingFailure.FileNotInDiff };
        }

        // What is left after our rendering ("+12 | ", headers) is removed is what the model really quoted.
        var variants = QuoteVariants(highlight.Quote).ToList();
        if (variants.Count < 2 || variants[1].Length < MinimumQuoteCharacters)
        {
            return new GroundingResult { Failure = GroundingFailure.QuoteTooShort };
        }

        foreach (var quote in variants.Where(v => v.Length >= MinimumQuoteCharacters).Distinct(StringComparer.Ordinal))
        {
            var right = FindNearest(path, DiffSide.Right, quote, highlight.Line, highlight.EndLine);
            var left = FindNearest(path, DiffSide.Left, quote, highlight.Line, highlight.EndLine);

            // The same code may be added in one place and removed in another (or only re-indented). The right
            // side wins unless the model named the removed line itself: the rendering shows removed lines with
            // their old numbers, so a number on a removed line holding the quote means that line.
            var anchor = left is { TouchesRemoved: true } && (right is null || (left.Distance == 0 && right.Distance > 0))
                ? left.Anchor
                : right?.Anchor ?? left?.Anchor;
            if (anchor is not null)
            {
                // GitHub's own rule, checked independently of how the match was found.
                var allowed = anchor.IsMultiLine
                    ? _commentable.CanSpan(anchor.Path, anchor.StartLine, anchor.Line, anchor.Side)
                    : _commentable.IsCommentable(anchor.Path, anchor.Line, anchor.Side);
                return allowed
                    ? new GroundingResult { Anchor = anchor }
                    : new GroundingResult { Failure = GroundingFailure.NotCommentable };
            }
        }

        // Found only when the file's hunks are read as one text: it spans a gap, so it is not verbatim.
        var crosses = variants
            .Where(v => v.Length >= MinimumQuoteCharacters)
            .Any(quote => SpansHunks(path, DiffSide.Right, quote) || SpansHunks(path, DiffSide.Left, quote));
        return new GroundingResult { Failure = crosses ? GroundingFailure.CrossesHunk : GroundingFailure.QuoteNotFound };
    }

    private bool SpansHunks(string path, DiffSide side, string quote)
    {
        var hunks = _hunks[(path, side)];
        return hunks.Count > 1 && string.Concat(hunks.Select(h => h.Text)).Contains(quote, StringComparison.Ordinal);
    }

    /// <summary>The best match on one side: where, how far from the model's lines, and whether it covers a removed line.</summary>
    private sealed record Match(Anchor Anchor, long Distance, bool TouchesRemoved);

    /// <summary>The diff's path for what the model wrote: exact, else without "a/", "b/", "./" or "/".</summary>
    private string? ResolvePath(string modelPath)
    {
        var path = modelPath.Trim().Replace('\\', '/');
        if (_files.ContainsKey(path))
        {
            return path;
        }

        foreach (var prefix in (string[])["./", "/", "a/", "b/"])
        {
            if (path.StartsWith(prefix, StringComparison.Ordinal) && _files.ContainsKey(path[prefix.Length..]))
            {
                return path[prefix.Length..];
            }
        }

        // A renamed file quoted by its old name.
        return _files.Values.FirstOrDefault(f => f.OldPath == path)?.Path;
    }

    private Match? FindNearest(string path, DiffSide side, string quote, int? modelLine, int? modelEndLine)
    {
        Match? best = null;
        foreach (var hunk in _hunks[(path, side)])
        {
            for (var at = hunk.Text.IndexOf(quote, StringComparison.Ordinal); at >= 0; at = hunk.Text.IndexOf(quote, at + 1, StringComparison.Ordinal))
            {
                var firstIndex = hunk.LineOfChar[at];
                var lastIndex = hunk.LineOfChar[at + quote.Length - 1];
                var first = hunk.LineNumbers[firstIndex];
                var last = hunk.LineNumbers[lastIndex];
                var distance = Distance(first, last, modelLine, modelEndLine);
                if (best is null || distance < best.Distance)
                {
                    var touchesRemoved = false;
                    for (var i = firstIndex; i <= lastIndex && !touchesRemoved; i++)
                    {
                        touchesRemoved = hunk.Changed[i];
                    }

                    best = new Match(new Anchor { Path = path, Side = side, StartLine = first, Line = last }, distance, side == DiffSide.Left && touchesRemoved);
                }
            }
        }

        return best;
    }

    /// <summary>How far a match lies from the lines the model named (0 when they overlap).</summary>
    private static long Distance(int first, int last, int? modelLine, int? modelEndLine)
    {
        if (modelLine is null)
        {
            return 0;
        }

        var claimedFirst = modelLine.Value;
        var claimedLast = Math.Max(claimedFirst, modelEndLine ?? claimedFirst);
        if (last < claimedFirst)
        {
            return (long)claimedFirst - last;
        }

        return first > claimedLast ? (long)first - claimedLast : 0;
    }

    /// <summary>
    /// Three readings of the quote, white space removed: as written; without what the model copied
    /// from our rendering ("+11 | " prefixes, hunk and file headers); and without bare diff markers.
    /// </summary>
    internal static IEnumerable<string> QuoteVariants(string quote)
    {
        var lines = quote.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var withoutHeaders = lines.Where(l => !IsHeaderLine(l)).ToArray();

        string[][] attempts =
        [
            lines,
            [.. withoutHeaders.Select(l => RenderedPrefix().Replace(l, ""))],
            [.. withoutHeaders.Select(StripMarker)],
        ];
        foreach (var attempt in attempts)
        {
            yield return RemoveWhiteSpace(string.Join('\n', attempt));
        }
    }

    private static bool IsHeaderLine(string line)
    {
        var trimmed = line.TrimStart();
        return trimmed.StartsWith("@@", StringComparison.Ordinal) || trimmed.StartsWith("### FILE:", StringComparison.Ordinal);
    }

    private static string StripMarker(string line) =>
        line.Length > 0 && line[0] is '+' or '-' ? line[1..] : line;

    internal static string RemoveWhiteSpace(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (!char.IsWhiteSpace(c))
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    // "+11 | x", " 7 |x", "-3 | ", "11 | x": a marker, a number and the separator of our rendering.
    // Runs over model text: non-backtracking, so no quote can make it slow.
    [GeneratedRegex(@"^\s*[+\- ]?\s*\d+\s?\|\s?", RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex RenderedPrefix();

    /// <summary>One hunk's lines on one side, white space removed and concatenated, with a map back to lines.</summary>
    private sealed class SearchableHunk
    {
        public required string Text { get; init; }
        public required int[] LineOfChar { get; init; }
        public required int[] LineNumbers { get; init; }

        /// <summary>Per line: added (right side) or removed (left side), not context.</summary>
        public required bool[] Changed { get; init; }

        public static SearchableHunk Build(DiffHunk hunk, DiffSide side)
        {
            var text = new StringBuilder();
            var lineOfChar = new List<int>();
            var numbers = new List<int>();
            var changed = new List<bool>();
            foreach (var line in hunk.Lines)
            {
                var number = line.LineOn(side);
                var onSide = side == DiffSide.Right ? line.Kind != DiffLineKind.Removed : line.Kind != DiffLineKind.Added;
                if (!onSide || number <= 0)
                {
                    continue;
                }

                var index = numbers.Count;
                numbers.Add(number);
                changed.Add(line.Kind != DiffLineKind.Context);
                foreach (var c in line.Text)
                {
                    if (!char.IsWhiteSpace(c))
                    {
                        text.Append(c);
                        lineOfChar.Add(index);
                    }
                }
            }

            return new SearchableHunk { Text = text.ToString(), LineOfChar = [.. lineOfChar], LineNumbers = [.. numbers], Changed = [.. changed] };
        }
    }
}
