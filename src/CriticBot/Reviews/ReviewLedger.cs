using System.Text.Json;
using CriticBot.Engine.Critic;
using CriticBot.Engine.Diff;
using CriticBot.Engine.Selection;
using CriticBot.GitHub;
using CriticBot.Storage;

namespace CriticBot.Reviews;

/// <summary>What a posted review says about itself in the store (reviews.summary_json).</summary>
public sealed record PostedReviewSummary
{
    public required int FilesReviewed { get; init; }
    public required int SkippedFiles { get; init; }
    public string? Since { get; init; }
    public required DroppedCounts Dropped { get; init; }
    public required int AlreadyPosted { get; init; }
    public required ReviewUsage Usage { get; init; }
}

/// <summary>
/// Step 7, persistence: every read and write of a review's outcome (its posted comments, candidates, prompts and
/// status) in one place, so a change to how outcomes are stored stays here. Claims live in <see cref="ReviewClaims"/>.
/// </summary>
public sealed class ReviewLedger(ICriticBotStore store)
{
    public Task<IReadOnlySet<string>> GetPostedFingerprintsAsync(string repository, int pullRequest, CancellationToken ct) =>
        store.GetPostedFingerprintsAsync(repository, pullRequest, ct);

    public Task<string?> GetLastPostedHeadAsync(string repository, int pullRequest, CancellationToken ct) =>
        store.GetLastPostedHeadAsync(repository, pullRequest, ct);

    /// <summary>Ends a review that posted nothing (skipped, superseded).</summary>
    public Task FinishAsync(long reviewId, string status, string reason, CancellationToken ct) =>
        store.MarkReviewFinishedAsync(reviewId, status, reason, ct);

    /// <summary>A posted review: its prompts, every candidate, the comments as GitHub holds them, then "posted".</summary>
    public async Task RecordPostedAsync(long reviewId, CritiqueResult result, FilteredComments posted, PublishResult published,
        PostedReviewSummary summary, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(posted);
        ArgumentNullException.ThrowIfNull(published);
        ArgumentNullException.ThrowIfNull(summary);
        var postedGroups = posted.Comments.Select(c => c.GroupId).ToHashSet();
        var promptOf = result.Prompts.ToDictionary(p => p.ChunkIndex, p => p.Sha256);
        await store.SavePromptsAsync(reviewId, [.. result.Prompts.Select(p => new PromptRow(p.Sha256, p.Prompt.System, p.Prompt.User))], ct);
        await store.SaveCandidatesAsync(reviewId, [.. result.Candidates.Select(c => new CandidateRow
        {
            ChunkIndex = c.ChunkIndex,
            SampleIndex = c.SampleIndex,
            PromptSha256 = promptOf.GetValueOrDefault(c.ChunkIndex, ""),
            Path = c.Anchor?.Path ?? c.Raw.Path,
            Side = c.Anchor is null ? null : SideName(c.Anchor.Side),
            Line = c.Anchor?.Line ?? c.Raw.Line,
            StartLine = c.Anchor is { IsMultiLine: true } a ? a.StartLine : null,
            Quote = c.Raw.Quote,
            Severity = c.Raw.Severity.ToWireName(),
            Body = c.Raw.Body,
            Score = c.Score,
            Support = null,
            Decision = c.Decision.ToString(),
            Reason = c.Reason,
            Posted = c.GroupId is { } g && postedGroups.Contains(g) && c.Decision == CandidateDecision.Kept,
        })], ct);

        // Comments GitHub would not anchor went into the review body: said all the same, so never repeated either.
        var inline = published.Posted.Select(p => Row(p.CommentId ?? 0, p.Draft with { Line = p.Line, Side = p.Side, StartLine = p.StartLine }));
        var inBody = published.MovedToBody.Select(d => Row(0, d));
        await store.SavePostedCommentsAsync(reviewId, [.. inline, .. inBody], ct);
        await store.MarkReviewPostedAsync(reviewId, published.ReviewId, JsonSerializer.Serialize(new
        {
            files_reviewed = summary.FilesReviewed,
            comments_posted = published.Posted.Count,
            comments_moved_to_body = published.MovedToBody.Count,
            skipped_files = summary.SkippedFiles,
            since = summary.Since,
            dropped = summary.Dropped,
            already_posted = summary.AlreadyPosted,
            usage = summary.Usage,
        }), ct);
    }

    /// <summary>
    /// Records a review that a dead worker posted but never recorded, with the comments GitHub holds for it (their
    /// hidden fingerprints), so later pushes do not say the same things again.
    /// </summary>
    public async Task RecordRecoveredAsync(long reviewId, long gitHubReviewId, IReadOnlyList<ReviewCommentInfo> comments, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(comments);
        await store.SavePostedCommentsAsync(reviewId, [.. comments
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
            })], ct);
        await store.MarkReviewPostedAsync(reviewId, gitHubReviewId, """{"recovered":true}""", ct);
    }

    private static string SideName(DiffSide side) => side == DiffSide.Right ? "RIGHT" : "LEFT";

    private static PostedCommentRow Row(long gitHubCommentId, DraftComment draft) => new()
    {
        GitHubCommentId = gitHubCommentId,
        Path = draft.Path,
        Line = draft.Line,
        Side = SideName(draft.Side),
        StartLine = draft.StartLine,
        Quote = draft.Quote ?? "",
        Body = draft.Body,
        Fingerprint = CommentFingerprint.Of(draft.Path, draft.Side, draft.Quote ?? ""),
    };
}
