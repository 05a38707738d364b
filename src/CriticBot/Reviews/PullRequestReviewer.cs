using CriticBot.Engine;
using CriticBot.Engine.Chunking;
using CriticBot.GitHub;
using CriticBot.Inbox;
using CriticBot.Storage;
using Microsoft.Extensions.Options;

namespace CriticBot.Reviews;

/// <summary>A request to review a pull request's current head.</summary>
public sealed record ReviewRequest
{
    public required long InstallationId { get; init; }
    public required string Repository { get; init; }
    public required int Number { get; init; }

    /// <summary>A maintainer asked explicitly: drafts are reviewed too.</summary>
    public bool Explicit { get; init; }

    /// <summary>No retry follows if this attempt fails: what it shows (the check run) must be final.</summary>
    public bool LastAttempt { get; init; } = true;

    /// <summary>
    /// The highest delivery id of this pull request stored before the review looked up its head: a pull_request
    /// delivery above it may carry a newer push, which cancels this review. Null: no such watch.
    /// </summary>
    public long? DeliveriesSeenUpTo { get; init; }

    /// <summary>The delivery's repository.private (null: not said), recorded for the export's consent check.</summary>
    public bool? RepositoryPrivate { get; init; }
}

/// <summary>Every sample failed (model errors, unparseable answers): retried rather than posting an empty review.</summary>
public sealed class CritiqueFailedException(string message) : Exception(message);

/// <summary>A review is held by another worker; the delivery is retried once its lease has passed.</summary>
public sealed class ReviewBusyException(string message, TimeSpan? retryAfter = null) : Exception(message), IRetryAfterHint
{
    /// <summary>Until the holder's lease ends: a holder that died leaves the claim to us then.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>
/// One push, one review, exactly once. The pipeline's steps, each a type of its own: decide whether to review
/// (<see cref="ReviewDecider"/>), claim the head (<see cref="ReviewClaims"/>), show a check run
/// (<see cref="ReviewCheckRuns"/>), take the diff since the last review (<see cref="IncrementalDiff"/>), spend
/// within the budgets (<see cref="ModelCallBudgets"/>) on the critic (<see cref="CriticEngine"/>), keep what can be
/// anchored and was not said before (<see cref="CommentFilter"/>), write the body (<see cref="ReviewBody"/>),
/// post it (<see cref="ReviewPublisher"/>) and record it (<see cref="ReviewLedger"/>).
/// </summary>
public sealed partial class PullRequestReviewer(
    ReviewDecider decider,
    ReviewClaims claims,
    ReviewCheckRuns checkRuns,
    IncrementalDiff incrementalDiff,
    ModelCallBudgets budgets,
    CriticEngine engine,
    ReviewPublisher publisher,
    ReviewLedger ledger,
    IOptions<ReviewOptions> options,
    ILogger<PullRequestReviewer> logger,
    CriticBot.Observability.CriticBotMetrics metrics)
{
    private readonly ReviewOptions _options = options.Value;

    /// <summary>Reviews the pull request's head; returns the outcome in words for the delivery record.</summary>
    public async Task<string> ReviewAsync(ReviewRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var activity = CriticBot.Observability.CriticBotTelemetry.StartReview(request.Repository, request.Number);
        var decision = await decider.DecideAsync(request, ct);
        if (decision.Target is not { } target)
        {
            return decision.Skipped!;
        }

        var claim = await claims.ClaimAsync(request, target, ct);
        if (claim.Review is not { } review)
        {
            return claim.Outcome!;
        }

        await using (review)
        {
            var checkRun = await checkRuns.BeginAsync(request, target, ct);
            try
            {
                return await ReviewClaimedAsync(request, target, review, checkRun, ct);
            }
            catch (Exception) when (review.Stopped && !ct.IsCancellationRequested)
            {
                if (review.StopReason is not { } stale)
                {
                    // Another worker took the claim over (our lease passed): it finishes the review.
                    throw new ReviewBusyException($"lost the claim on the review of {request.Repository}#{request.Number} at {target.HeadSha}");
                }

                // A newer push: the review was cancelled, its pending model calls abandoned, and nothing is posted.
                await checkRun.SupersededAsync(stale);
                return $"superseded: {stale} while reviewing {target.HeadSha}";
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                metrics.ReviewFailed();
                await checkRun.FailedAsync(ex, request.LastAttempt);
                throw;
            }
        }
    }

    private async Task<string> ReviewClaimedAsync(
        ReviewRequest request, ReviewTarget target, ClaimedReview review, ReviewCheckRun checkRun, CancellationToken deliveryToken)
    {
        // Until posting starts, a newer push (or a lost claim) cancels the review's own token.
        var ct = review.Token;
        var diff = await incrementalDiff.ForAsync(request, target, ct);

        var criticOptions = CriticOptionsFor(request, target.Config);
        var plan = engine.Plan(diff.Diff, criticOptions);
        var allowance = await budgets.ReserveAsync(request, target, CriticEngine.ModelCallsNeeded(plan, criticOptions), ct);
        criticOptions = allowance.Apply(criticOptions);
        var result = await engine.ReviewAsync(plan, criticOptions, ct);
        await allowance.SettleAsync(result.Usage.Calls, ct);

        // Not one usable answer: an empty review would read as "no problems found". Retry the delivery instead.
        var sampled = result.Prompts.Count * criticOptions.Samples;
        if (sampled > 0 && result.Usage.FailedSamples >= sampled)
        {
            var first = result.SampleFailures.Count > 0 ? result.SampleFailures[0].Error : "no usable answer";
            throw new CritiqueFailedException($"none of the {sampled} critique samples gave a usable answer (first: {first})");
        }

        var posted = await ledger.GetPostedFingerprintsAsync(request.Repository, request.Number, ct);
        var suppressed = await ledger.GetSuppressedFingerprintsAsync(request.Repository, request.Number, ct);
        var comments = CommentFilter.Filter(result.Comments, diff.PullRequestIndex, posted, suppressed);

        if (await review.StaleBeforePostingAsync() is { } stale)
        {
            // Superseded: nothing is posted, but what the model said is kept for research.
            await ledger.FinishAsync(review.ReviewId, ReviewStatus.Superseded, stale, result, comments, deliveryToken);
            await checkRun.SupersededAsync(stale);
            return $"superseded: {stale} while reviewing {target.HeadSha}";
        }

        review.BeginPosting();
        ct.ThrowIfCancellationRequested();
        ct = deliveryToken;

        var report = new ReviewReport
        {
            HeadSha = target.HeadSha,
            SinceSha = diff.Since,
            FilesReviewed = diff.Diff.Files.Count - result.SkippedFiles.Count,
            CommentsPosted = comments.Drafts.Count,
            SkippedFiles = [.. diff.NoPatch, .. result.SkippedFiles],
            Dropped = result.Dropped,
            AlreadyPosted = comments.AlreadyPosted,
            Truncations = result.Truncations,
            ConfigProblems = target.Config.Problems,
            Usage = result.Usage,
            Precision = criticOptions.Precision,
            MaxComments = criticOptions.MaxComments,
            Samples = criticOptions.Samples,
            SamplesDrawn = [.. result.Sampling.Select(s => s.Drawn)],
        };

        // Nothing reviewable changed since the last review (only lockfiles, say), or an hourly budget left too
        // little for one chunk: no review, since an empty one is noise on the pull request. The check run (and the
        // delivery's outcome) says what happened and names what was not reviewed.
        var budgetSpent = allowance.Limit is not null && result.Prompts.Count == 0 && plan.Chunks.Count > 0;
        if (report.FilesReviewed <= 0 && comments.Drafts.Count == 0 && (diff.Since is not null || budgetSpent))
        {
            var reason = budgetSpent
                ? $"nothing reviewed: too little is left of {allowance.Limit}"
                : "nothing reviewable changed since the last review";
            await ledger.FinishAsync(review.ReviewId, ReviewStatus.Skipped, reason, result, comments, ct);
            await checkRun.NothingPostedAsync(budgetSpent ? "Model-call budget spent" : "Nothing new to review", ReviewBody.Write(report));
            return budgetSpent
                ? $"skipped: {reason}"
                : $"skipped: nothing reviewable changed between {diff.Since} and {target.HeadSha}";
        }

        var draft = new ReviewDraft
        {
            CommitId = target.HeadSha,
            Body = ReviewBody.Write(report),
            Comments = comments.Drafts,
        };
        // A worker slowed past its lease may have lost the head to another (replicas): only the holder posts, and
        // the check run is left to it.
        if (!await review.StillHeldBeforePostingAsync(ct))
        {
            return $"not posted: another worker took over the review of {target.HeadSha}";
        }

        var published = await publisher.PublishAsync(request.InstallationId, target.Repo, request.Number, draft, ct);
        await ledger.RecordPostedAsync(review.ReviewId, result, comments, published, new PostedReviewSummary
        {
            FilesReviewed = report.FilesReviewed,
            SkippedFiles = report.SkippedFiles.Count,
            Since = diff.Since,
            Dropped = result.Dropped,
            AlreadyPosted = comments.AlreadyPosted,
            Usage = result.Usage,
            Precision = criticOptions.Precision,
        }, ct);
        await checkRun.PostedAsync(published.Posted.Count + published.MovedToBody.Count, draft.Body);

        LogPosted(published.ReviewId, request.Repository, request.Number, target.HeadSha, published.Posted.Count, published.MovedToBody.Count);
        return $"posted review {published.ReviewId} at {target.HeadSha} with {published.Posted.Count} comments";
    }

    private CriticOptions CriticOptionsFor(ReviewRequest request, RepositoryConfig config) => new()
    {
        Samples = _options.Samples,
        AdaptiveSampling = _options.AdaptiveSampling,
        Precision = config.Precision ?? _options.Precision,
        MaxComments = config.MaxComments ?? _options.MaxComments,
        MaxConcurrency = _options.MaxConcurrency,
        Instructions = config.Instructions,
        Language = config.Language,
        RepositoryHost = _options.RepositoryHost ?? "github.com",
        Repository = request.Repository,
        Chunking = new ChunkingOptions { Include = config.Include, Exclude = config.Exclude },
        MaxChunks = _options.MaxChunks,
        MaxPromptTokens = _options.MaxPromptTokens,
        MaxModelCalls = _options.MaxModelCallsPerReview,
        Prices = _options.Prices,
        PricedModel = _options.PricedModel,
        // The shared cap on model calls takes turns between installations.
        Tenant = request.InstallationId.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Posted review {ReviewId} on {Repository}#{PullRequest} at {HeadSha}: {Posted} inline comments, {Moved} moved to the body")]
    private partial void LogPosted(long reviewId, string repository, int pullRequest, string headSha, int posted, int moved);
}
