using System.Globalization;
using System.Text;
using CriticBot.Engine.Safety;
using Microsoft.Extensions.Logging;

namespace CriticBot.GitHub;

/// <summary>
/// Posts ONE review per call. GitHub rejects a whole review (422) when any comment's anchor is off the diff and does
/// not say which: then the comments that do not fit GitHub's own patches move into the body and the review is posted
/// again; if GitHub still refuses, everything goes into the body with no inline comments. The review is never lost.
/// </summary>
public sealed partial class ReviewPublisher(IGitHubGateway gateway, ILogger<ReviewPublisher> logger)
{
    /// <summary>GitHub's limit on a review body, in characters.</summary>
    public const int MaxBodyLength = 65536;

    public async Task<PublishResult> PublishAsync(long installationId, RepoRef repo, int number, ReviewDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repo);
        ArgumentNullException.ThrowIfNull(draft);
        try
        {
            return await PostAsync(installationId, repo, number, draft, draft.Comments, [], cancellationToken);
        }
        catch (ReviewRejectedException first)
        {
            LogRejected(logger, repo, number, first.Message);
        }

        var files = await gateway.ListPullRequestFilesAsync(installationId, repo, number, cancellationToken);
        var (valid, invalid) = ReviewAnchors.Split(draft.Comments, files);
        if (valid.Count > 0 && invalid.Count > 0)
        {
            try
            {
                LogMoving(logger, repo, number, invalid.Count, valid.Count);
                return await PostAsync(installationId, repo, number, draft, valid, invalid, cancellationToken);
            }
            catch (ReviewRejectedException second)
            {
                LogRejected(logger, repo, number, second.Message);
            }
        }

        LogBodyOnly(logger, repo, number, draft.Comments.Count);
        return await PostAsync(installationId, repo, number, draft, [], draft.Comments, cancellationToken);
    }

    private async Task<PublishResult> PostAsync(
        long installationId, RepoRef repo, int number, ReviewDraft draft,
        IReadOnlyList<DraftComment> inline, IReadOnlyList<DraftComment> moved, CancellationToken cancellationToken)
    {
        var review = draft with { Comments = inline, Body = ComposeBody(draft.Body, moved) };
        var reviewId = await gateway.CreateReviewAsync(installationId, repo, number, review, cancellationToken);
        return new PublishResult
        {
            ReviewId = reviewId,
            Posted = inline.Count == 0 ? [] : await ListPostedAsync(installationId, repo, number, reviewId, inline, cancellationToken),
            MovedToBody = moved,
        };
    }

    /// <summary>Pairs GitHub's comment ids with our drafts by anchor and body.</summary>
    private async Task<IReadOnlyList<PostedReviewComment>> ListPostedAsync(
        long installationId, RepoRef repo, int number, long reviewId, IReadOnlyList<DraftComment> inline, CancellationToken cancellationToken)
    {
        IReadOnlyList<ReviewCommentInfo> listed;
        try
        {
            listed = await gateway.ListReviewCommentsAsync(installationId, repo, number, reviewId, cancellationToken);
        }
        catch (GitHubTransientException ex)
        {
            // The review is posted; failing now would only invite a duplicate. The ids stay unknown.
            LogCommentIdsUnknown(logger, repo, number, reviewId, ex.Message);
            listed = [];
        }

        var unmatched = listed.ToList();
        var posted = new List<PostedReviewComment>(inline.Count);
        foreach (var draft in inline)
        {
            var match = unmatched.FindIndex(c => SameAnchor(c, draft) && c.Body == draft.Body);
            if (match < 0)
                match = unmatched.FindIndex(c => SameAnchor(c, draft));
            long? commentId = null;
            if (match >= 0)
            {
                commentId = unmatched[match].Id;
                unmatched.RemoveAt(match);
            }
            posted.Add(new PostedReviewComment
            {
                CommentId = commentId,
                Path = draft.Path,
                Line = draft.Line,
                Side = draft.Side,
                StartLine = draft.StartLine,
                StartSide = draft.StartLine is null ? null : draft.StartSide ?? draft.Side,
                Draft = draft,
            });
        }
        return posted;
    }

    private static bool SameAnchor(ReviewCommentInfo listed, DraftComment draft) =>
        listed.Path == draft.Path && listed.Line == draft.Line && listed.Side == draft.Side && listed.StartLine == draft.StartLine;

    /// <summary>
    /// The review body with the comments that could not be anchored appended, under GitHub's limit. The body's hidden
    /// marker (its last line, an HTML comment only the bot writes) stays whole and last; what does not fit is cut from
    /// the lists: moved comments are left out and counted, and an over-long summary loses its last lines.
    /// </summary>
    public static string ComposeBody(string body, IReadOnlyList<DraftComment> moved)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(moved);
        var (summary, marker) = SplitMarker(body.TrimEnd());
        var suffix = marker is null ? "" : "\n\n" + marker;
        var budget = MaxBodyLength - suffix.Length;

        var text = new StringBuilder(CutLines(summary, budget - (moved.Count == 0 ? 0 : MovedReserve)));
        if (moved.Count > 0)
        {
            if (text.Length > 0)
                text.Append("\n\n");
            text.Append("**Comments on lines GitHub could not anchor in this diff:**\n");
            var omitted = 0;
            foreach (var comment in moved)
            {
                var entry = FormatMoved(comment);
                // Leave room for the closing note.
                if (omitted > 0 || text.Length + entry.Length > budget - OmittedNoteReserve)
                {
                    omitted++;
                    continue;
                }
                text.Append(entry);
            }
            if (omitted > 0)
                text.Append(CultureInfo.InvariantCulture, $"\n_{omitted} more comment(s) left out: GitHub's review body limit._\n");
        }

        return text.ToString().TrimEnd() + suffix;
    }

    /// <summary>Room kept for the moved comments' heading and at least a note on what was left out.</summary>
    private const int MovedReserve = 2048;

    private const int OmittedNoteReserve = 200;

    /// <summary>The body without its last line when that line is a hidden marker (an HTML comment), and the marker.</summary>
    private static (string Summary, string? Marker) SplitMarker(string body)
    {
        var lastLineStart = body.LastIndexOf('\n') + 1;
        var last = body[lastLineStart..];
        return last.StartsWith("<!-- ", StringComparison.Ordinal) && last.EndsWith(" -->", StringComparison.Ordinal)
            ? (body[..lastLineStart].TrimEnd(), last)
            : (body, null);
    }

    /// <summary>Text cut at the last whole line that fits, with a note; never in the middle of a line.</summary>
    private static string CutLines(string text, int max)
    {
        const string note = "\n\n_…cut: GitHub's review body limit._";
        if (text.Length <= max)
            return text;
        var cut = text.LastIndexOf('\n', Math.Max(0, max - note.Length - 1));
        return (cut > 0 ? text[..cut] : "").TrimEnd() + note;
    }

    private static string FormatMoved(DraftComment comment)
    {
        var lines = comment.StartLine is { } start && start != comment.Line
            ? $"lines {start}–{comment.Line}"
            : $"line {comment.Line}";
        var side = comment.Side == Engine.Diff.DiffSide.Left ? " (old)" : "";
        var entry = new StringBuilder();
        entry.Append(CultureInfo.InvariantCulture, $"\n**{MarkdownText.InlineCode(comment.Path)} {lines}{side}**\n");
        if (!string.IsNullOrWhiteSpace(comment.Quote))
        {
            var quote = MarkdownText.DefuseCode(comment.Quote.TrimEnd('\n'));
            var fence = Fence(quote);
            entry.Append(CultureInfo.InvariantCulture, $"{fence}\n{quote}\n{fence}\n");
        }
        // The comment's own fingerprint marker stays with inline comments; the body carries only its head marker.
        entry.Append(SplitMarker(comment.Body.TrimEnd()).Summary).Append('\n');
        return entry.ToString();
    }

    /// <summary>A code fence longer than any run of backticks in the quote, so the quote cannot close it.</summary>
    private static string Fence(string quote) => new('`', Math.Max(3, MarkdownText.LongestRun(quote, '`') + 1));

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Repo}#{Number}: GitHub rejected the review: {Reason}")]
    private static partial void LogRejected(ILogger logger, RepoRef repo, int number, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Repo}#{Number}: moving {Moved} comment(s) off the diff into the body, keeping {Kept} inline")]
    private static partial void LogMoving(ILogger logger, RepoRef repo, int number, int moved, int kept);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Repo}#{Number}: posting the review with all {Count} comment(s) in the body")]
    private static partial void LogBodyOnly(ILogger logger, RepoRef repo, int number, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Repo}#{Number}: review {ReviewId} posted but its comment ids could not be listed: {Reason}")]
    private static partial void LogCommentIdsUnknown(ILogger logger, RepoRef repo, int number, long reviewId, string reason);
}
