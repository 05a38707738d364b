using System.Text.Json;
using CriticBot.Engine.Critic;
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

    /// <summary>The precision setting the review ran with (for feedback stats per setting).</summary>
    public double? Precision { get; init; }
}

/// <summary>
/// Step 7, persistence: every read and write of a review's outcome in one place. An outcome (status, prompts,
/// every model call and candidate with its reason code, the comments with GitHub's ids) is written in one
/// transaction by the research log (<see cref="ReviewOutcomes"/> maps it), with times from the injected clock.
/// Claims live in <see cref="ReviewClaims"/>.
/// </summary>
public sealed class ReviewLedger(IReviewLedger reviews, IResearchLog research, CriticBot.Observability.CriticBotMetrics metrics, IFeedbackLog feedback, TimeProvider time)
{
    /// <summary>What maintainers rated down on the pull request: never posted again (docs/feedback.md).</summary>
    public async Task<IReadOnlySet<string>> GetSuppressedFingerprintsAsync(string repository, int pullRequest, CancellationToken ct) =>
        Feedback.SuppressedComments.FingerprintsOf(await feedback.ListRatedDownCommentsAsync(repository, pullRequest, ct));

    public Task<IReadOnlySet<string>> GetPostedFingerprintsAsync(string repository, int pullRequest, CancellationToken ct) =>
        research.GetPostedFingerprintsAsync(repository, pullRequest, ct);

    public Task<string?> GetLastPostedHeadAsync(string repository, int pullRequest, CancellationToken ct) =>
        reviews.GetLastPostedHeadAsync(repository, pullRequest, ct);

    /// <summary>Ends a review that posted nothing (skipped, superseded); what the model said is kept for research.</summary>
    public Task FinishAsync(long reviewId, ReviewStatus status, string reason, CritiqueResult result, FilteredComments filtered, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filtered);
        return research.RecordReviewOutcomeAsync(metrics.Reviewed(ReviewOutcomes.Finished(
            reviewId, status, reason, result, filtered.AlreadyPostedGroups, filtered.NotAnchorableGroups, time.GetUtcNow())), ct);
    }

    /// <summary>A posted review: its prompts, calls, every candidate and the comments as GitHub holds them, then "posted".</summary>
    public Task RecordPostedAsync(long reviewId, CritiqueResult result, FilteredComments filtered, PublishResult published,
        PostedReviewSummary summary, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filtered);
        ArgumentNullException.ThrowIfNull(published);
        ArgumentNullException.ThrowIfNull(summary);
        var summaryJson = JsonSerializer.Serialize(new
        {
            files_reviewed = summary.FilesReviewed,
            comments_posted = published.Posted.Count,
            comments_moved_to_body = published.MovedToBody.Count,
            skipped_files = summary.SkippedFiles,
            since = summary.Since,
            dropped = summary.Dropped,
            already_posted = summary.AlreadyPosted,
            usage = summary.Usage,
            precision = summary.Precision,
        });
        return research.RecordReviewOutcomeAsync(metrics.Reviewed(ReviewOutcomes.Posted(
            reviewId, result, published, filtered.AlreadyPostedGroups, filtered.NotAnchorableGroups, summaryJson, time.GetUtcNow())), ct);
    }

    /// <summary>
    /// Records a review that a dead worker posted but never recorded, with the comments GitHub holds for it (their
    /// hidden fingerprints), so later pushes do not say the same things again.
    /// </summary>
    public Task RecordRecoveredAsync(long reviewId, long gitHubReviewId, IReadOnlyList<ReviewCommentInfo> comments, CancellationToken ct) =>
        research.RecordReviewOutcomeAsync(metrics.Reviewed(ReviewOutcomes.Recovered(reviewId, gitHubReviewId, comments, time.GetUtcNow())), ct);
}
