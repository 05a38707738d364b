using CriticBot.GitHub;
using CriticBot.Inbox;
using CriticBot.Intake;
using CriticBot.Storage;
using Microsoft.Extensions.Options;

namespace CriticBot.Reviews;

/// <summary>
/// What a stored delivery means: pull_request pushes and "/critic review" comments become reviews, installations
/// are recorded, everything else is acknowledged and left alone.
/// </summary>
public sealed partial class DeliveryRouter(
    PullRequestReviewer reviewer,
    InstallationRecorder installations,
    IGitHubGateway github,
    IDeliveryInbox store,
    Feedback.FeedbackRouter feedback,
    IOptions<InboxOptions> inbox,
    TimeProvider time,
    ILogger<DeliveryRouter> logger) : IDeliveryHandler
{
    public const string ReviewCommand = "/critic review";

    private static readonly IReadOnlySet<string> WritePermissions =
        new HashSet<string>(StringComparer.Ordinal) { "admin", "maintain", "write" };

    public async Task<string> HandleAsync(ClaimedDelivery delivery, CancellationToken ct)
    {
        var outcome = await RouteAsync(delivery, ct);
        // Action and outcome carry payload text (an action, a commenter's login): bounded and cleaned for the log.
        var loggedAction = LogText.Untrusted(delivery.Action);
        var loggedOutcome = LogText.Untrusted(outcome, 500);
        LogOutcome(delivery.DeliveryId, delivery.Event, loggedAction, loggedOutcome);
        return outcome;
    }

    /// <summary>Does the delivery's work and says in words what became of it.</summary>
    public async Task<string> RouteAsync(ClaimedDelivery delivery, CancellationToken ct)
    {
        try
        {
            // Replies, commands, threads, closing: feedback (docs/feedback.md); null when the review side decides.
            if (await feedback.TryRouteAsync(delivery, ct) is { } recorded)
            {
                return recorded;
            }

            switch (delivery.Event)
            {
                case "pull_request":
                    return await OnPullRequestAsync(delivery, ct);
                case "issue_comment":
                    return await OnIssueCommentAsync(delivery, ct);
                default:
                    if (InstallationRecorder.Applies(delivery))
                    {
                        await installations.RecordAsync(delivery, ct);
                        return "installation recorded";
                    }

                    return $"ignored: event {delivery.Event}";
            }
        }
        catch (MalformedPayloadException ex)
        {
            throw new PermanentDeliveryException(ex.Message, ex);
        }
    }

    private async Task<string> OnPullRequestAsync(ClaimedDelivery delivery, CancellationToken ct)
    {
        var payload = WebhookPayloads.ReadPullRequest(delivery.Body);
        if (!WebhookEvents.ReviewedPullRequestActions.Contains(payload.Action))
        {
            return $"ignored: pull_request.{payload.Action}";
        }

        return await ReviewCoalescingAsync(delivery, new ReviewRequest
        {
            InstallationId = payload.InstallationId,
            Repository = payload.Repository,
            Number = payload.Number,
            RepositoryPrivate = payload.RepositoryPrivate,
            LastAttempt = delivery.Attempt >= inbox.Value.MaxAttempts,
        }, ct);
    }

    /// <summary>
    /// Reviews the pull request's current head, and lets that one look-up stand for every pull_request delivery
    /// of the PR that was stored before it (a burst of pushes, redeliveries): they are finished as coalesced
    /// instead of each looking up the same head again. Deliveries stored after the look-up stay queued: they may
    /// carry a newer push. Nothing is coalesced when the review throws (they are then handled on their own).
    /// </summary>
    private async Task<string> ReviewCoalescingAsync(ClaimedDelivery delivery, ReviewRequest request, CancellationToken ct)
    {
        // Read before the review looks up the head: GitHub sent each delivery at or below this id after its push,
        // so the look-up that follows sees that push (ids are drawn in insertion order on SQLite and PostgreSQL).
        var seenUpTo = await store.GetLatestDeliveryIdAsync(request.Repository, request.Number, ct) ?? delivery.Id;
        var outcome = await reviewer.ReviewAsync(request with { DeliveriesSeenUpTo = seenUpTo }, ct);
        if (seenUpTo > delivery.Id)
        {
            var coalesced = await store.CoalesceDeliveriesAsync(request.Repository, request.Number, WebhookEvents.PullRequest,
                delivery.Id, seenUpTo, $"coalesced into delivery {delivery.DeliveryId}: {outcome}", time.GetUtcNow(), ct);
            if (coalesced > 0)
            {
                LogCoalesced(coalesced, delivery.DeliveryId);
            }
        }

        return outcome;
    }

    private async Task<string> OnIssueCommentAsync(ClaimedDelivery delivery, CancellationToken ct)
    {
        var payload = WebhookPayloads.ReadIssueComment(delivery.Body);
        if (payload.Action != "created" || !payload.IsPullRequest || payload.CommenterIsBot || !IsReviewCommand(payload.CommentBody))
        {
            return "ignored: not a review command";
        }

        var repo = RepoRef.Parse(payload.Repository);
        var permission = await github.GetPermissionAsync(payload.InstallationId, repo, payload.CommenterLogin, ct);
        if (!WritePermissions.Contains(permission))
        {
            return $"ignored: {payload.CommenterLogin} has {permission} access, review commands need write";
        }

        return await ReviewCoalescingAsync(delivery, new ReviewRequest
        {
            InstallationId = payload.InstallationId,
            Repository = payload.Repository,
            Number = payload.Number,
            RepositoryPrivate = payload.RepositoryPrivate,
            Explicit = true,
            LastAttempt = delivery.Attempt >= inbox.Value.MaxAttempts,
        }, ct);
    }

    /// <summary>"/critic review" on a line of its own (case-insensitive), anywhere in the comment.</summary>
    public static bool IsReviewCommand(string body) =>
        body.ReplaceLineEndings("\n").Split('\n')
            .Any(line => line.Trim().Equals(ReviewCommand, StringComparison.OrdinalIgnoreCase));

    [LoggerMessage(Level = LogLevel.Information, Message = "Coalesced {Count} queued pull_request deliveries into delivery {DeliveryId}")]
    private partial void LogCoalesced(int count, string deliveryId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivery {DeliveryId} ({Event}.{Action}): {Outcome}")]
    private partial void LogOutcome(string deliveryId, string @event, string? action, string? outcome);
}
