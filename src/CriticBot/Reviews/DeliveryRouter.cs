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
    IOptions<InboxOptions> inbox,
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

        return await reviewer.ReviewAsync(new ReviewRequest
        {
            InstallationId = payload.InstallationId,
            Repository = payload.Repository,
            Number = payload.Number,
            LastAttempt = delivery.Attempt >= inbox.Value.MaxAttempts,
        }, ct);
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

        return await reviewer.ReviewAsync(new ReviewRequest
        {
            InstallationId = payload.InstallationId,
            Repository = payload.Repository,
            Number = payload.Number,
            Explicit = true,
            LastAttempt = delivery.Attempt >= inbox.Value.MaxAttempts,
        }, ct);
    }

    /// <summary>"/critic review" on a line of its own (case-insensitive), anywhere in the comment.</summary>
    public static bool IsReviewCommand(string body) =>
        body.ReplaceLineEndings("\n").Split('\n')
            .Any(line => line.Trim().Equals(ReviewCommand, StringComparison.OrdinalIgnoreCase));

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivery {DeliveryId} ({Event}.{Action}): {Outcome}")]
    private partial void LogOutcome(string deliveryId, string @event, string? action, string? outcome);
}
