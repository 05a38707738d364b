using CriticBot.Engine.Critic;
using CriticBot.Engine.Diff;
using CriticBot.GitHub;

namespace CriticBot.Reviews;

/// <summary>The critic's comments that will be posted, as drafts, and how many were left out as already said.</summary>
public sealed record FilteredComments
{
    public required IReadOnlyList<DraftComment> Drafts { get; init; }

    /// <summary>The engine's comments behind <see cref="Drafts"/>, in the same order.</summary>
    public required IReadOnlyList<ReviewComment> Comments { get; init; }

    /// <summary>Groups (places) left out because the same comment is already on the pull request.</summary>
    public required IReadOnlySet<int> AlreadyPostedGroups { get; init; }

    /// <summary>Groups left out because GitHub cannot anchor them in the pull request's own diff.</summary>
    public required IReadOnlySet<int> NotAnchorableGroups { get; init; }

    public int AlreadyPosted => AlreadyPostedGroups.Count;
}

/// <summary>
/// Step 5, filtering: only what GitHub can anchor in the pull request's own diff (an incremental review sees the
/// compare diff; the anchor check is <see cref="ReviewAnchors.IsAnchorable"/>, the same the publisher uses), and
/// never again what was already said on the same code (the comment fingerprints).
/// </summary>
public static class CommentFilter
{
    /// <param name="suppressed">Comments rated down on this pull request (<see cref="Feedback.SuppressedComments"/>): never posted again, counted as already said.</param>
    public static FilteredComments Filter(IReadOnlyList<ReviewComment> comments, DiffIndex pullRequestIndex, IReadOnlySet<string> postedFingerprints,
        IReadOnlySet<string>? suppressed = null)
    {
        ArgumentNullException.ThrowIfNull(comments);
        ArgumentNullException.ThrowIfNull(postedFingerprints);
        var drafts = new List<DraftComment>();
        var kept = new List<ReviewComment>();
        var alreadyPosted = new HashSet<int>();
        var notAnchorable = new HashSet<int>();
        foreach (var comment in comments)
        {
            if (postedFingerprints.Contains(CommentFingerprint.Of(comment.Path, comment.Side, comment.Quote))
                || (suppressed is not null && Feedback.SuppressedComments.Matches(comment.Path, comment.Side, comment.Quote, suppressed)))
            {
                alreadyPosted.Add(comment.GroupId);
                continue;
            }

            var draft = ToDraft(comment);
            if (ReviewAnchors.IsAnchorable(pullRequestIndex, draft))
            {
                drafts.Add(draft);
                kept.Add(comment);
            }
            else
            {
                notAnchorable.Add(comment.GroupId);
            }
        }

        return new FilteredComments { Drafts = drafts, Comments = kept, AlreadyPostedGroups = alreadyPosted, NotAnchorableGroups = notAnchorable };
    }

    /// <summary>The posted text: a severity label, then the critic's (already sanitised) comment.</summary>
    public static string CommentText(ReviewComment comment)
    {
        ArgumentNullException.ThrowIfNull(comment);
        return comment.Severity switch
        {
            Severity.Bug => "**Bug** · ",
            Severity.Risk => "**Risk** · ",
            _ => "**Nit** · ",
        } + comment.Body;
    }

    private static DraftComment ToDraft(ReviewComment comment) => new()
    {
        Path = comment.Path,
        Line = comment.Line,
        Side = comment.Side,
        StartLine = comment.StartLine,
        StartSide = comment.StartLine is null ? null : comment.Side,
        Body = CommentText(comment) + "\n\n" + CommentFingerprint.Marker(CommentFingerprint.Of(comment.Path, comment.Side, comment.Quote)),
        Quote = comment.Quote,
    };
}
