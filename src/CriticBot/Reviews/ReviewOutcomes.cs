using CriticBot.Engine.Critic;
using CriticBot.Engine.Diff;
using CriticBot.GitHub;
using CriticBot.Storage;

namespace CriticBot.Reviews;

/// <summary>
/// Maps what the engine found and what was posted into the one <see cref="ReviewOutcome"/> the research log writes
/// in a single transaction: every prompt, model call and candidate (with its final reason code) and every comment
/// with GitHub's real id.
/// </summary>
public static class ReviewOutcomes
{
    /// <summary>A posted review.</summary>
    /// <param name="alreadyPosted">Groups whose comment was not posted because its fingerprint was already on the pull request.</param>
    /// <param name="notAnchorable">Groups whose comment GitHub could not anchor in the pull request's own diff.</param>
    public static ReviewOutcome Posted(
        long reviewId, CritiqueResult result, PublishResult published, IReadOnlySet<int> alreadyPosted, IReadOnlySet<int> notAnchorable,
        string summaryJson, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(published);
        var groupOf = result.Comments.GroupBy(Fingerprint).ToDictionary(g => g.Key, g => g.First().GroupId);
        var inline = published.Posted.Select(p => Row(p.CommentId, p.Draft with { Line = p.Line, Side = p.Side, StartLine = p.StartLine }, CommentPlacement.Inline, groupOf));
        var inBody = published.MovedToBody.Select(d => Row(null, d, CommentPlacement.ReviewBody, groupOf));
        return Finished(reviewId, ReviewStatus.Posted, null, result, alreadyPosted, notAnchorable, now) with
        {
            GitHubReviewId = published.ReviewId,
            SummaryJson = summaryJson,
            Comments = [.. inline, .. inBody],
        };
    }

    /// <summary>A review that ended without posting (skipped, superseded): its research records are kept all the same.</summary>
    public static ReviewOutcome Finished(
        long reviewId, ReviewStatus status, string? reason, CritiqueResult result, IReadOnlySet<int> alreadyPosted, IReadOnlySet<int> notAnchorable, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(result);
        var posted = status == ReviewStatus.Posted;
        var commentOf = result.Comments.ToDictionary(c => c.GroupId);
        var promptOf = result.Prompts.ToDictionary(p => p.ChunkIndex, p => p.Sha256);
        return new ReviewOutcome
        {
            ReviewId = reviewId,
            Status = status,
            Reason = reason,
            FinishedAt = now,
            Prompts = [.. result.Prompts.Select(p => new PromptRow(p.Sha256, p.Prompt.System, p.Prompt.User))],
            ModelCalls = result.ModelCalls,
            Candidates = [.. result.Candidates.Select(c =>
            {
                var kept = c.ReasonCode == CandidateReason.Kept && c.GroupId is { } group;
                var (code, reason) = !kept ? (c.ReasonCode, c.Reason)
                    : alreadyPosted.Contains(c.GroupId!.Value) ? (CandidateReason.AlreadyPosted, "the same comment is already on the pull request")
                    : notAnchorable.Contains(c.GroupId!.Value) ? (CandidateReason.NotAnchorable, "GitHub cannot anchor it in the pull request's own diff")
                    : (CandidateReason.Kept, c.Reason);
                return new ResearchCandidateRow
                {
                    CandidateIndex = c.Id,
                    ChunkIndex = c.ChunkIndex,
                    SampleIndex = c.SampleIndex,
                    Attempt = c.Attempt,
                    Position = c.Position,
                    PromptSha256 = promptOf.GetValueOrDefault(c.ChunkIndex, ""),
                    ModelPath = c.Raw.Path,
                    ModelLine = c.Raw.Line,
                    ModelEndLine = c.Raw.EndLine,
                    Path = c.Anchor?.Path,
                    Side = c.Anchor is null ? null : SideName(c.Anchor.Side),
                    StartLine = c.Anchor?.StartLine,
                    Line = c.Anchor?.Line,
                    Quote = c.Raw.Quote,
                    Severity = c.Raw.Severity.ToWireName(),
                    Body = c.Raw.Body,
                    GroupId = c.GroupId,
                    Support = c.Support,
                    Score = c.Score,
                    ReasonCode = code,
                    Reason = reason,
                    Posted = posted && code == CandidateReason.Kept,
                    Fingerprint = kept && commentOf.TryGetValue(c.GroupId!.Value, out var comment) ? Fingerprint(comment) : null,
                };
            })],
        };
    }

    /// <summary>Comments of a review a dead worker posted and never recorded, read back from GitHub.</summary>
    public static ReviewOutcome Recovered(long reviewId, long gitHubReviewId, IReadOnlyList<ReviewCommentInfo> comments, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(comments);
        return new ReviewOutcome
        {
            ReviewId = reviewId,
            Status = ReviewStatus.Posted,
            GitHubReviewId = gitHubReviewId,
            SummaryJson = """{"recovered":true}""",
            FinishedAt = now,
            Comments = [.. comments
                .Where(c => CommentFingerprint.FromBody(c.Body) is not null)
                .Select(c => new PostedCommentRow
                {
                    GitHubCommentId = c.Id,
                    Path = c.Path,
                    Line = c.Line ?? 0,
                    Side = SideName(c.Side),
                    StartLine = c.StartLine,
                    Quote = "",
                    Body = c.Body,
                    Fingerprint = CommentFingerprint.FromBody(c.Body)!,
                })],
        };
    }

    public static string Fingerprint(ReviewComment comment)
    {
        ArgumentNullException.ThrowIfNull(comment);
        return CommentFingerprint.Of(comment.Path, comment.Side, comment.Quote);
    }

    private static PostedCommentRow Row(long? gitHubCommentId, DraftComment draft, CommentPlacement placement, Dictionary<string, int> groupOf)
    {
        var fingerprint = CommentFingerprint.Of(draft.Path, draft.Side, draft.Quote ?? "");
        return new PostedCommentRow
        {
            GitHubCommentId = gitHubCommentId,
            Path = draft.Path,
            Line = draft.Line,
            Side = SideName(draft.Side),
            StartLine = draft.StartLine,
            Quote = draft.Quote ?? "",
            Body = draft.Body,
            Fingerprint = fingerprint,
            GroupId = groupOf.TryGetValue(fingerprint, out var group) ? group : null,
            Placement = placement,
        };
    }

    private static string SideName(DiffSide side) => side == DiffSide.Right ? "RIGHT" : "LEFT";
}
