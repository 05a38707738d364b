namespace CriticBot.Intake;

/// <summary>
/// The events and actions CriticBot acts on. Everything else (including events GitHub adds later) is stored as
/// ignored and answered 2xx, so GitHub never sees a failure for something we simply do not care about.
/// </summary>
public static class WebhookEvents
{
    public const string PullRequest = "pull_request";
    public const string IssueComment = "issue_comment";
    public const string Installation = "installation";
    public const string InstallationRepositories = "installation_repositories";
    public const string PullRequestReviewComment = "pull_request_review_comment";
    public const string PullRequestReviewThread = "pull_request_review_thread";

    /// <summary>The pull_request actions that mean "there is new code to review".</summary>
    public static readonly IReadOnlySet<string> ReviewedPullRequestActions = new HashSet<string>(StringComparer.Ordinal)
    {
        "opened", "reopened", "ready_for_review", "synchronize",
    };

    public static bool IsHandled(string eventName, WebhookPayload payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return IsHandled(eventName, payload.Action, isOnPullRequest: payload.PullRequest is not null);
    }

    public static bool IsHandled(string eventName, string? action, bool isOnPullRequest) => eventName switch
    {
        // "closed" ends the feedback window (docs/feedback.md).
        PullRequest => action is not null && (ReviewedPullRequestActions.Contains(action) || action == "closed"),
        // Replies to the bot's comments and resolved threads are feedback.
        PullRequestReviewComment => action == "created" && isOnPullRequest,
        PullRequestReviewThread => action is "resolved" or "unresolved" && isOnPullRequest,
        // Comments on plain issues are not for us; on a pull request they may be commands to the bot.
        IssueComment => action == "created" && isOnPullRequest,
        Installation or InstallationRepositories => true,
        _ => false,
    };
}
