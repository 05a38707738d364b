using CriticBot.GitHub;
using CriticBot.Intake;
using CriticBot.Storage;
using Microsoft.Extensions.Options;

namespace CriticBot.Reviews;

/// <summary>The claim's result: a held review, or in words why this head needs no review from us.</summary>
public sealed record ClaimResult
{
    public ClaimedReview? Review { get; init; }
    public string? Outcome { get; init; }
}

/// <summary>
/// Step 2, exactly once: claims (repository, PR, head SHA) in the store after marking older heads' reviews
/// superseded; a head already finished is not reviewed again; a head another worker holds is retried once its
/// lease has passed; a review a dead worker posted but never recorded is recognised on GitHub and recorded. The
/// claim is a short lease renewed while the review runs (<see cref="ClaimedReview"/>), so a dead holder's work is
/// resumed within about a lease.
/// </summary>
public sealed partial class ReviewClaims(
    IGitHubGateway github,
    IReviewLedger store,
    IDeliveryInbox inbox,
    ReviewLedger ledger,
    IOptions<ReviewOptions> options,
    TimeProvider time,
    ILogger<ReviewClaims> logger)
{
    // The claim is held while its lease is not yet past: come back just after it.
    private static readonly TimeSpan BusySlack = TimeSpan.FromMilliseconds(250);

    public async Task<ClaimResult> ClaimAsync(ReviewRequest request, ReviewTarget target, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(target);
        var settings = options.Value;
        var head = target.HeadSha;

        // Always the PR's current head, whatever head the delivery named: racing deliveries for one PR then
        // converge on one key, and a push whose own delivery was lost is still reviewed.
        var key = new ReviewKey(request.Repository, request.Number, head);
        var superseded = await store.MarkSupersededAsync(request.Repository, request.Number, head, ct);
        if (superseded > 0)
        {
            LogSuperseded(superseded, request.Repository, request.Number, head);
        }

        var claim = await store.ClaimReviewAsync(key, target.PullRequest.BaseSha, settings.WorkerId, settings.ReviewLease, time.GetUtcNow(), ct);
        switch (claim)
        {
            case ReviewClaim.AlreadyDone done:
                return new ClaimResult { Outcome = $"already {done.Status.ToStored()} at {head}" };
            case ReviewClaim.Busy busy:
                throw new ReviewBusyException(
                    $"review of {request.Repository}#{request.Number} at {head} is held by {busy.HeldBy} until {busy.LeaseUntil:O}",
                    busy.LeaseUntil - time.GetUtcNow() + BusySlack);
        }

        var reviewId = ((ReviewClaim.Claimed)claim).ReviewId;

        // A previous attempt may have posted and died before recording it: GitHub's copy decides, by its own fields
        // (this App's bot account, on this commit), never by text in a body, which a pull request can forge.
        var botLogin = await github.GetBotLoginAsync(ct);
        var existing = (await github.ListReviewsAsync(request.InstallationId, target.Repo, request.Number, ct))
            .FirstOrDefault(r => ReviewBody.IsPostedFor(r, botLogin, head));
        if (existing is not null)
        {
            var comments = await github.ListReviewCommentsAsync(request.InstallationId, target.Repo, request.Number, existing.Id, ct);
            await ledger.RecordRecoveredAsync(reviewId, existing.Id, comments, ct);
            return new ClaimResult { Outcome = $"already posted review {existing.Id} at {head}" };
        }

        return new ClaimResult { Review = new ClaimedReview(this, request, target, reviewId, ct) };
    }

    /// <summary>
    /// Keeps the claim alive and watches for a newer push until the review ends. Stops the review (cancels its
    /// token) when the claim is lost or superseded in the store, or a newer delivery's push moved the head.
    /// </summary>
    internal async Task WatchAsync(ClaimedReview review, CancellationToken stop)
    {
        var settings = options.Value;
        var renewEvery = settings.ReviewLease / 3;
        var tick = settings.SupersedeCheckInterval < renewEvery ? settings.SupersedeCheckInterval : renewEvery;
        var lastRenewal = time.GetUtcNow();
        var seenDeliveries = review.Request.DeliveriesSeenUpTo;
        using var timer = new PeriodicTimer(tick, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    var now = time.GetUtcNow();
                    if (now - lastRenewal >= renewEvery)
                    {
                        if (!await store.ExtendReviewLeaseAsync(review.ReviewId, settings.WorkerId, now + settings.ReviewLease, stop))
                        {
                            var superseded = await store.IsSupersededAsync(review.ReviewId, stop);
                            review.Stop(superseded ? "a newer head was pushed" : null);
                            return;
                        }

                        lastRenewal = now;
                    }

                    if (seenDeliveries is { } seen
                        && await inbox.GetNewerPendingDeliveryIdAsync(review.Request.Repository, review.Request.Number, WebhookEvents.PullRequest, seen, stop) is { } newer)
                    {
                        // One look-up per newer delivery: redeliveries and edits of the same head cost nothing more.
                        seenDeliveries = newer;
                        var current = await github.GetPullRequestAsync(review.Request.InstallationId, review.Target.Repo, review.Request.Number, stop);
                        if (StaleReason(review, current) is { } stale)
                        {
                            LogStopping(review.Request.Repository, review.Request.Number, review.Target.HeadSha, stale);
                            await store.MarkReviewFinishedAsync(review.ReviewId, ReviewStatus.Superseded, stale, stop);
                            review.Stop(stale);
                            return;
                        }
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Not fatal: the lease has two more renewal periods to run; the next tick tries again.
                    LogWatchFailed(review.Request.Repository, review.Request.Number, ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The review ended: stop renewing.
        }
    }

    /// <summary>
    /// The last check before posting: a push while the model was thinking makes the review stale (the newer
    /// head's delivery reviews it), as does another worker marking it superseded. Null when still current.
    /// </summary>
    internal async Task<string?> StaleBeforePostingAsync(ClaimedReview review, CancellationToken ct)
    {
        var current = await github.GetPullRequestAsync(review.Request.InstallationId, review.Target.Repo, review.Request.Number, ct);
        if (StaleReason(review, current) is { } stale)
        {
            await store.MarkReviewFinishedAsync(review.ReviewId, ReviewStatus.Superseded, stale, ct);
            return stale;
        }

        return await store.IsSupersededAsync(review.ReviewId, ct) ? "a newer head was pushed" : null;
    }

    /// <summary>
    /// Renews the claim just before posting, the irreversible step: false when this worker no longer holds it (a
    /// replica slowed past its lease whose head another worker took over). Only the holder posts.
    /// </summary>
    internal Task<bool> StillHeldBeforePostingAsync(ClaimedReview review, CancellationToken ct) =>
        store.ExtendReviewLeaseAsync(review.ReviewId, options.Value.WorkerId, time.GetUtcNow() + options.Value.ReviewLease, ct);

    private static string? StaleReason(ClaimedReview review, PullRequestInfo? current) =>
        current is null ? "the pull request is no longer visible"
        : current.HeadSha != review.Target.HeadSha ? $"the head moved to {current.HeadSha}"
        : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "Marked {Count} older review(s) of {Repository}#{PullRequest} superseded by {HeadSha}")]
    private partial void LogSuperseded(int count, string repository, int pullRequest, string headSha);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cancelling the review of {Repository}#{PullRequest} at {HeadSha}: {Reason}")]
    private partial void LogStopping(string repository, int pullRequest, string headSha, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not renew or check the review of {Repository}#{PullRequest}: {Error}")]
    private partial void LogWatchFailed(string repository, int pullRequest, string error);
}

/// <summary>
/// A review this worker holds. <see cref="Token"/> is the review's own: cancelled when the caller's is, or when
/// the review must stop (<see cref="StopReason"/>): its pending model calls are then abandoned.
/// </summary>
public sealed class ClaimedReview : IAsyncDisposable
{
    private readonly CancellationTokenSource _review;
    private readonly CancellationTokenSource _watching = new();
    private readonly Task _watch;
    private readonly ReviewClaims _claims;
    private readonly Lock _gate = new();
    private bool _posting;
    private volatile bool _stopped;
    private volatile string? _stopReason;

    internal ClaimedReview(ReviewClaims claims, ReviewRequest request, ReviewTarget target, long reviewId, CancellationToken ct)
    {
        _claims = claims;
        Request = request;
        Target = target;
        ReviewId = reviewId;
        _review = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _watch = Task.Run(() => claims.WatchAsync(this, _watching.Token), CancellationToken.None);
    }

    public ReviewRequest Request { get; }
    public ReviewTarget Target { get; }
    public long ReviewId { get; }
    public CancellationToken Token => _review.Token;

    /// <summary>True once the review was told to stop; <see cref="StopReason"/> says why when it was superseded.</summary>
    public bool Stopped => _stopped;

    /// <summary>Why the review was superseded; null when it stopped because the claim was lost.</summary>
    public string? StopReason => _stopReason;

    /// <summary>See <see cref="ReviewClaims.StaleBeforePostingAsync"/>.</summary>
    public Task<string?> StaleBeforePostingAsync() => _claims.StaleBeforePostingAsync(this, Token);

    /// <summary>See <see cref="ReviewClaims.StillHeldBeforePostingAsync"/>.</summary>
    public Task<bool> StillHeldBeforePostingAsync(CancellationToken ct) => _claims.StillHeldBeforePostingAsync(this, ct);

    /// <summary>
    /// From here on the review posts: it is no longer stopped (a POST cut off half-way could leave a review on
    /// GitHub that nobody recorded). The last stale check was just made; a later push gets its own review.
    /// </summary>
    public void BeginPosting()
    {
        lock (_gate)
        {
            _posting = true;
        }
    }

    internal void Stop(string? supersededBecause)
    {
        lock (_gate)
        {
            if (_posting || _stopped)
            {
                return;
            }

            _stopReason = supersededBecause;
            _stopped = true;
        }

        try
        {
            _review.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The review already ended.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _watching.CancelAsync();
        await _watch;
        _watching.Dispose();
        _review.Dispose();
    }
}
