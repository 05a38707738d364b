using CriticBot.Engine.Diff;
using CriticBot.Reviews;
using CriticBot.Storage;

namespace CriticBot.Feedback;

/// <summary>
/// Comments rated down by someone with write access (a negative reaction not taken back, /critic wrong, /critic nit)
/// are never posted again on the pull request: not the same comment, and not one quoting any of the same lines
/// (a later push that edits around a line must not bring the rejected complaint back). The set holds the comments'
/// fingerprints and the fingerprints of each quoted line (path, side and the line's text, as
/// <see cref="CommentFingerprint.Of"/> makes them).
/// </summary>
public static class SuppressedComments
{
    /// <summary>Lines shorter than this (braces, "return") match too much to suppress anything by themselves.</summary>
    private const int MinLineLength = 8;

    public static IReadOnlySet<string> FingerprintsOf(IEnumerable<PostedCommentRef> ratedDown)
    {
        ArgumentNullException.ThrowIfNull(ratedDown);
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var comment in ratedDown)
        {
            set.Add(comment.Fingerprint);
            var side = comment.Side == "LEFT" ? DiffSide.Left : DiffSide.Right;
            foreach (var line in QuotedLines(comment.Quote))
            {
                set.Add(LineFingerprint(comment.Path, side, line));
            }
        }

        return set;
    }

    /// <summary>Whether a new comment on <paramref name="path"/> quoting <paramref name="quote"/> repeats a rejected one.</summary>
    public static bool Matches(string path, DiffSide side, string quote, IReadOnlySet<string> suppressed)
    {
        ArgumentNullException.ThrowIfNull(suppressed);
        if (suppressed.Count == 0)
        {
            return false;
        }

        return suppressed.Contains(CommentFingerprint.Of(path, side, quote))
            || QuotedLines(quote).Any(line => suppressed.Contains(LineFingerprint(path, side, line)));
    }

    private static IEnumerable<string> QuotedLines(string quote) =>
        quote.Split('\n').Where(line => line.Count(c => !char.IsWhiteSpace(c)) >= MinLineLength);

    private static string LineFingerprint(string path, DiffSide side, string line) => CommentFingerprint.Of(path, side, "line:" + line);
}
