using System.Net;
using System.Text.Json;
using CriticBot.Engine;
using CriticBot.Engine.Chunking;
using CriticBot.Engine.Critic;
using CriticBot.Engine.Diff;
using CriticBot.Engine.Model;
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
/// One push, one review, exactly once: claims (repository, PR, head SHA) in the store, reviews the diff with the
/// engine, and posts one review through the publisher. Redeliveries and racing deliveries find the claim taken
/// or done; a newer push marks older work superseded before it posts; a crash after posting is recognised by the
/// head marker in the review body.
/// </summary>
public sealed partial class PullRequestReviewer(
    IGitHubGateway github,
    ReviewPublisher publisher,
    IReviewLedger reviews,
    IResearchLog research,
    CriticEngine engine,
    IOptions<ReviewOptions> options,
    TimeProvider time,
    ILogger<PullRequestReviewer> logger,
    CriticBot.Observability.CriticBotMetrics metrics)
{
    // The claim is held while its lease is not yet past: come back just after it.
    private static readonly TimeSpan BusySlack = TimeSpan.FromMilliseconds(250);

    private readonly ReviewOptions _options = options.Value;

    /// <summary>Reviews the pull request's head; returns the outcome in words for the delivery record.</summary>
    public async Task<string> ReviewAsync(ReviewRequest request, CancellationToken ct)
    {
        using var activity = CriticBot.Observability.CriticBotTelemetry.StartReview(request.Repository, request.Number);
        var repo = RepoRef.Parse(request.Repository);
        var pr = await github.GetPullRequestAsync(request.InstallationId, repo, request.Number, ct);
        if (pr is null)
        {
            return "skipped: pull request not found";
        }

        if (!string.Equals(pr.State, "open", StringComparison.OrdinalIgnoreCase))
        {
            return "skipped: pull request is closed";
        }

        // Skips are decided before any claim, so a skipped head can still be reviewed on a maintainer's request.
        var config = RepositoryConfig.Parse(
            await github.GetFileContentAsync(request.InstallationId, repo, RepositoryConfig.Path, pr.BaseRef, ct));
        if (!config.Enabled)
        {
            return "skipped: disabled by configuration";
        }

        if (pr.Draft && !config.ReviewDrafts && !request.Explicit)
        {
            return "skipped: draft pull request";
        }

        // Always the PR's current head, whatever head the delivery named: racing deliveries for one PR then
        // converge on one key, and a push whose own delivery was lost is still reviewed.
        var key = new ReviewKey(request.Repository, request.Number, pr.HeadSha);
        var superseded = await reviews.MarkSupersededAsync(request.Repository, request.Number, pr.HeadSha, ct);
        if (superseded > 0)
        {
            LogSuperseded(superseded, request.Repository, request.Number, pr.HeadSha);
        }

        var claim = await reviews.ClaimReviewAsync(key, pr.BaseSha, _options.WorkerId, _options.ReviewLease, time.GetUtcNow(), ct);
        switch (claim)
        {
            case ReviewClaim.AlreadyDone done:
                return $"already {done.Status.ToStored()} at {pr.HeadSha}";
            case ReviewClaim.Busy busy:
                throw new ReviewBusyException(
                    $"review of {request.Repository}#{request.Number} at {pr.HeadSha} is held by {busy.HeldBy} until {busy.LeaseUntil:O}",
                    busy.LeaseUntil - time.GetUtcNow() + BusySlack);
        }

        var reviewId = ((ReviewClaim.Claimed)claim).ReviewId;

        // A previous attempt may have posted and died before recording it: GitHub's copy decides. Only this App's
        // own reviews count: anyone (another App too) may paste the marker into a review to silence CriticBot.
        var botLogin = await github.GetBotLoginAsync(ct);
        var existing = (await github.ListReviewsAsync(request.InstallationId, repo, request.Number, ct))
            .FirstOrDefault(r => string.Equals(r.UserLogin, botLogin, StringComparison.OrdinalIgnoreCase) && ReviewBody.HeadOf(r.Body) == pr.HeadSha);
        if (existing is not null)
        {
            await RecordRecoveredAsync(request, repo, reviewId, existing.Id, ct);
            return $"already posted review {existing.Id} at {pr.HeadSha}";
        }

        var checkRunId = await BeginCheckRunAsync(request, repo, pr.HeadSha, ct);

        try
        {
            return await ReviewClaimedAsync(request, repo, pr, reviewId, config, checkRunId, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && checkRunId is not null)
        {
            // Retried: the run stays open and the next attempt takes it over. Last attempt: closed, never left spinning.
            var why = ex is ModelUnavailableException ? "The critic model could not be reached." : "The review failed.";
            metrics.ReviewFailed();
            await TryUpdateCheckRunAsync(request, repo, checkRunId.Value, request.LastAttempt
                ? new CheckRunUpdate { Status = "completed", Conclusion = "neutral", Title = "Review failed", Summary = why }
                : new CheckRunUpdate { Status = "in_progress", Title = "Review failed; it will be retried", Summary = why });
            throw;
        }
    }

    /// <summary>Shows "Reviewing" on the head commit; a retried review takes over its earlier attempt's open run.</summary>
    private async Task<long?> BeginCheckRunAsync(ReviewRequest request, RepoRef repo, string headSha, CancellationToken ct)
    {
        const string title = "Reviewing";
        const string summary = "CriticBot is reviewing this push.";
        if (await github.FindCheckRunAsync(request.InstallationId, repo, headSha, _options.CheckRunName, ct) is { } earlier)
        {
            await TryUpdateCheckRunAsync(request, repo, earlier, new CheckRunUpdate { Status = "in_progress", Title = title, Summary = summary });
            return earlier;
        }

        return await github.CreateCheckRunAsync(request.InstallationId, repo, new CheckRunDraft
        {
            Name = _options.CheckRunName,
            HeadSha = headSha,
            Status = "in_progress",
            Title = title,
            Summary = summary,
        }, ct);
    }

    private async Task<string> ReviewClaimedAsync(
        ReviewRequest request, RepoRef repo, PullRequestInfo pr, long reviewId, RepositoryConfig config, long? checkRunId, CancellationToken ct)
    {
        var prFiles = await github.ListPullRequestFilesAsync(request.InstallationId, repo, request.Number, ct);
        var (toReview, since) = await ChangesToReviewAsync(request, repo, pr, prFiles, ct);

        // The PR's own diff decides what GitHub will anchor; on a first review it is also what gets reviewed.
        var prDiff = BuildDiff(prFiles, out var prNoPatch);
        var (diff, noPatch) = since is null ? (prDiff, prNoPatch) : (BuildDiff(toReview, out var changedNoPatch), changedNoPatch);
        var prIndex = new DiffIndex(prDiff);
        var criticOptions = CriticOptionsFor(config);
        var result = await engine.ReviewAsync(diff, criticOptions, ct);

        // Not one usable answer: an empty review would read as "no problems found". Retry the delivery instead.
        var sampled = result.Prompts.Count * criticOptions.Samples;
        if (sampled > 0 && result.Usage.FailedSamples >= sampled)
        {
            var first = result.SampleFailures.Count > 0 ? result.SampleFailures[0].Error : "no usable answer";
            throw new CritiqueFailedException($"none of the {sampled} critique samples gave a usable answer (first: {first})");
        }

        // Only what GitHub can anchor in the PR's own diff (an incremental review sees the compare diff), and
        // never again what was already said on the same code.
        var posted = await research.GetPostedFingerprintsAsync(request.Repository, request.Number, ct);
        var toPost = new List<ReviewComment>();
        var alreadyPostedGroups = new HashSet<int>();
        var notAnchorableGroups = new HashSet<int>();
        foreach (var comment in result.Comments)
        {
            if (posted.Contains(CommentFingerprint.Of(comment.Path, comment.Side, comment.Quote)))
            {
                alreadyPostedGroups.Add(comment.GroupId);
            }
            else if (comment.StartLine is { } start
                ? prIndex.CanSpan(comment.Path, start, comment.Line, comment.Side)
                : prIndex.IsCommentable(comment.Path, comment.Line, comment.Side))
            {
                toPost.Add(comment);
            }
            else
            {
                notAnchorableGroups.Add(comment.GroupId);
            }
        }

        var alreadyPosted = alreadyPostedGroups.Count;

        // A push while the model was thinking makes this review stale: the newer head's delivery reviews it.
        var current = await github.GetPullRequestAsync(request.InstallationId, repo, request.Number, ct);
        var superseded = await reviews.IsSupersededAsync(reviewId, ct);
        var stale = current is null ? "the pull request is no longer visible"
            : current.HeadSha != pr.HeadSha ? $"the head moved to {current.HeadSha}"
            : superseded ? "a newer head was pushed"
            : null;
        if (stale is not null)
        {
            // Superseded or not, what the model said is kept for research, in one transaction with the status.
            await research.RecordReviewOutcomeAsync(
                metrics.Reviewed(ReviewOutcomes.Finished(reviewId, ReviewStatus.Superseded, stale, result, alreadyPostedGroups, notAnchorableGroups, time.GetUtcNow())), ct);

            if (checkRunId is { } id)
            {
                await TryUpdateCheckRunAsync(request, repo, id, new CheckRunUpdate
                {
                    Status = "completed",
                    Conclusion = "skipped",
                    Title = "Superseded by a newer push",
                    Summary = $"Not posted: {stale}.",
                });
            }

            return $"superseded: {stale} while reviewing {pr.HeadSha}";
        }

        var report = new ReviewReport
        {
            HeadSha = pr.HeadSha,
            SinceSha = since,
            FilesReviewed = diff.Files.Count - result.SkippedFiles.Count,
            CommentsPosted = toPost.Count,
            SkippedFiles = [.. noPatch, .. result.SkippedFiles],
            Dropped = result.Dropped,
            AlreadyPosted = alreadyPosted,
            Truncations = result.Truncations,
            ConfigProblems = config.Problems,
            Usage = result.Usage,
            Precision = criticOptions.Precision,
            MaxComments = criticOptions.MaxComments,
            Samples = criticOptions.Samples,
        };
        // A push that changed nothing reviewable since the last review (only lockfiles, say) gets no review: an
        // empty one is noise on the pull request. The check run still says what happened.
        if (since is not null && report.FilesReviewed == 0 && toPost.Count == 0)
        {
            await research.RecordReviewOutcomeAsync(metrics.Reviewed(ReviewOutcomes.Finished(
                reviewId, ReviewStatus.Skipped, "nothing reviewable changed since the last review", result, alreadyPostedGroups, notAnchorableGroups, time.GetUtcNow())), ct);
            if (checkRunId is { } skippedRun)
            {
                await TryUpdateCheckRunAsync(request, repo, skippedRun, new CheckRunUpdate
                {
                    Status = "completed",
                    Conclusion = "neutral",
                    Title = "Nothing new to review",
                    Summary = ReviewBody.Write(report),
                });
            }

            return $"skipped: nothing reviewable changed between {since} and {pr.HeadSha}";
        }

        var draft = new ReviewDraft
        {
            CommitId = pr.HeadSha,
            Body = ReviewBody.Write(report),
            Comments = [.. toPost.Select(ToDraft)],
        };
        var published = await publisher.PublishAsync(request.InstallationId, repo, request.Number, draft, ct);

        await research.RecordReviewOutcomeAsync(metrics.Reviewed(ReviewOutcomes.Posted(reviewId, result, published, alreadyPostedGroups, notAnchorableGroups, JsonSerializer.Serialize(new
        {
            files_reviewed = report.FilesReviewed,
            comments_posted = published.Posted.Count,
            comments_moved_to_body = published.MovedToBody.Count,
            skipped_files = report.SkippedFiles.Count,
            since = since,
            dropped = result.Dropped,
            already_posted = alreadyPosted,
            usage = result.Usage,
        }), time.GetUtcNow())), ct);

        if (checkRunId is { } run)
        {
            await TryUpdateCheckRunAsync(request, repo, run, new CheckRunUpdate
            {
                Status = "completed",
                Conclusion = "neutral",
                Title = published.Posted.Count + published.MovedToBody.Count == 1 ? "1 comment" : $"{published.Posted.Count + published.MovedToBody.Count} comments",
                Summary = draft.Body,
            });
        }

        LogPosted(published.ReviewId, request.Repository, request.Number, pr.HeadSha, published.Posted.Count, published.MovedToBody.Count);
        return $"posted review {published.ReviewId} at {pr.HeadSha} with {published.Posted.Count} comments";
    }

    /// <summary>
    /// The files to review: everything on the first review, and on later pushes only what changed since the last
    /// reviewed head (GitHub's compare), limited to files still in the PR. A force push that GitHub cannot
    /// compare falls back to the whole PR.
    /// </summary>
    private async Task<(IReadOnlyList<ChangedFile> Files, string? Since)> ChangesToReviewAsync(
        ReviewRequest request, RepoRef repo, PullRequestInfo pr, IReadOnlyList<ChangedFile> prFiles, CancellationToken ct)
    {
        var lastHead = await reviews.GetLastPostedHeadAsync(request.Repository, request.Number, ct);
        if (lastHead is null || lastHead == pr.HeadSha)
        {
            return (prFiles, null);
        }

        IReadOnlyList<ChangedFile> changed;
        try
        {
            changed = await github.CompareAsync(request.InstallationId, repo, lastHead, pr.HeadSha, ct);
        }
        catch (GitHubRequestException ex) when (ex.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.UnprocessableEntity)
        {
            LogCompareFailed(request.Repository, request.Number, lastHead, pr.HeadSha, (int?)ex.StatusCode);
            return (prFiles, null);
        }

        var inPullRequest = prFiles.Select(f => f.Filename).ToHashSet(StringComparer.Ordinal);
        return ([.. changed.Where(f => inPullRequest.Contains(f.Filename))], lastHead);
    }

    private CriticOptions CriticOptionsFor(RepositoryConfig config) => new()
    {
        Samples = _options.Samples,
        Precision = config.Precision ?? _options.Precision,
        MaxComments = config.MaxComments ?? _options.MaxComments,
        MaxConcurrency = _options.MaxConcurrency,
        Instructions = config.Instructions,
        Language = config.Language,
        RepositoryHost = _options.RepositoryHost ?? "github.com",
        Chunking = new ChunkingOptions { Include = config.Include, Exclude = config.Exclude },
    };

    /// <summary>The PR's files as a diff; files GitHub sends no patch for (binary, too large) are listed instead.</summary>
    private static ParsedDiff BuildDiff(IReadOnlyList<ChangedFile> files, out List<SkippedFile> noPatch)
    {
        noPatch = [];
        var parsed = new List<FileDiff>(files.Count);
        foreach (var file in files)
        {
            if (string.IsNullOrEmpty(file.Patch))
            {
                if (file.Additions + file.Deletions > 0 || file.Status is not ("renamed" or "copied"))
                {
                    noPatch.Add(new SkippedFile(file.Filename, "no patch from GitHub (binary or too large)"));
                }

                continue;
            }

            parsed.Add(DiffParser.ParseFilePatch(file.Filename, file.Patch, file.PreviousFilename, KindOf(file.Status)));
        }

        return new ParsedDiff { Files = parsed };
    }

    private static FileChangeKind KindOf(string status) => status switch
    {
        "added" => FileChangeKind.Added,
        "removed" => FileChangeKind.Deleted,
        "renamed" => FileChangeKind.Renamed,
        "copied" => FileChangeKind.Copied,
        _ => FileChangeKind.Modified,
    };

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

    /// <summary>
    /// Records a review that a dead worker posted but never recorded, with the comments GitHub holds for it (their
    /// hidden fingerprints), so later pushes do not say the same things again.
    /// </summary>
    private async Task RecordRecoveredAsync(ReviewRequest request, RepoRef repo, long reviewId, long gitHubReviewId, CancellationToken ct)
    {
        var comments = await github.ListReviewCommentsAsync(request.InstallationId, repo, request.Number, gitHubReviewId, ct);
        await research.RecordReviewOutcomeAsync(metrics.Reviewed(ReviewOutcomes.Recovered(reviewId, gitHubReviewId, comments, time.GetUtcNow())), ct);
    }

    /// <summary>The posted text: a severity label, then the critic's (already sanitised) comment.</summary>
    public static string CommentText(ReviewComment comment) => comment.Severity switch
    {
        Severity.Bug => "**Bug** · ",
        Severity.Risk => "**Risk** · ",
        _ => "**Nit** · ",
    } + comment.Body;

    private async Task TryUpdateCheckRunAsync(ReviewRequest request, RepoRef repo, long checkRunId, CheckRunUpdate update)
    {
        try
        {
            // Not the review's token: a cancelled review still gets its check run closed, briefly.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await github.UpdateCheckRunAsync(request.InstallationId, repo, checkRunId, update, timeout.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogCheckRunUpdateFailed(request.Repository, request.Number, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Marked {Count} older review(s) of {Repository}#{PullRequest} superseded by {HeadSha}")]
    private partial void LogSuperseded(int count, string repository, int pullRequest, string headSha);

    [LoggerMessage(Level = LogLevel.Information, Message = "Posted review {ReviewId} on {Repository}#{PullRequest} at {HeadSha}: {Posted} inline comments, {Moved} moved to the body")]
    private partial void LogPosted(long reviewId, string repository, int pullRequest, string headSha, int posted, int moved);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Compare {Base}...{Head} failed on {Repository}#{PullRequest} ({Status}); reviewing the whole pull request")]
    private partial void LogCompareFailed(string repository, int pullRequest, string @base, string head, int? status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not update the check run on {Repository}#{PullRequest}: {Error}")]
    private partial void LogCheckRunUpdateFailed(string repository, int pullRequest, string error);
}
