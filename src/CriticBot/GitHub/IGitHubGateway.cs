namespace CriticBot.GitHub;

/// <summary>
/// Everything CriticBot asks of GitHub, per installation. Transient failures (5xx, network, rate limits past the
/// bounded waits) surface as <see cref="GitHubTransientException"/>; permanent ones as <see cref="GitHubRequestException"/>.
/// </summary>
public interface IGitHubGateway
{
    /// <summary>Null when GitHub answers 404 (no such PR, or not visible to the installation).</summary>
    Task<PullRequestInfo?> GetPullRequestAsync(long installationId, RepoRef repo, int number, CancellationToken cancellationToken = default);

    /// <summary>All pages (GitHub lists at most 3000 files).</summary>
    Task<IReadOnlyList<ChangedFile>> ListPullRequestFilesAsync(long installationId, RepoRef repo, int number, CancellationToken cancellationToken = default);

    /// <summary>The files changed between two commits (<c>base...head</c>), with patches.</summary>
    Task<IReadOnlyList<ChangedFile>> CompareAsync(long installationId, RepoRef repo, string baseSha, string headSha, CancellationToken cancellationToken = default);

    /// <summary>A file's text at <paramref name="gitRef"/>; null when it does not exist (404) or is not a file.</summary>
    Task<string?> GetFileContentAsync(long installationId, RepoRef repo, string path, string gitRef, CancellationToken cancellationToken = default);

    /// <summary>admin, write, read or none (GitHub's legacy permission level).</summary>
    Task<string> GetPermissionAsync(long installationId, RepoRef repo, string login, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ReviewSummary>> ListReviewsAsync(long installationId, RepoRef repo, int number, CancellationToken cancellationToken = default);

    /// <summary>The login of this App's bot account ("slug[bot]"): the author of every review CriticBot posts.</summary>
    Task<string> GetBotLoginAsync(CancellationToken cancellationToken = default);

    /// <summary>The check run id, or null when GitHub answers 403 (the App lacks checks:write; not an error).</summary>
    /// <summary>This App's open (not completed) check run of that name on the commit, so a retried review takes it over; null when none (or 403).</summary>
    Task<long?> FindCheckRunAsync(long installationId, RepoRef repo, string headSha, string name, CancellationToken cancellationToken = default);

    Task<long?> CreateCheckRunAsync(long installationId, RepoRef repo, CheckRunDraft checkRun, CancellationToken cancellationToken = default);

    /// <summary>A 403 is logged and ignored, like on creation.</summary>
    Task UpdateCheckRunAsync(long installationId, RepoRef repo, long checkRunId, CheckRunUpdate update, CancellationToken cancellationToken = default);

    /// <summary>Posts one review (event COMMENT); returns its id. 422 → <see cref="ReviewRejectedException"/>.</summary>
    Task<long> CreateReviewAsync(long installationId, RepoRef repo, int number, ReviewDraft draft, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<ReviewCommentInfo>> ListReviewCommentsAsync(long installationId, RepoRef repo, int number, long reviewId, CancellationToken cancellationToken = default);

    // Feedback (docs/feedback.md).

    /// <summary>The user's role on the repository: admin, maintain, write, triage, read or none (a custom role: its base permission).</summary>
    Task<string> GetRoleAsync(long installationId, RepoRef repo, string login, CancellationToken cancellationToken = default);

    /// <summary>One pull-request review comment; null when it does not exist (404).</summary>
    Task<PullCommentInfo?> GetReviewCommentAsync(long installationId, RepoRef repo, long commentId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every review comment of the pull request with its reaction counts, asked conditionally: with the ETag of the
    /// last answer GitHub answers 304 when nothing changed, which costs no rate limit.
    /// </summary>
    Task<ConditionalComments> ListPullRequestCommentsAsync(long installationId, RepoRef repo, int number, string? etag, CancellationToken cancellationToken = default);

    /// <summary>Who reacted to a review comment, with what and when (all pages).</summary>
    Task<IReadOnlyList<ReactionInfo>> ListReviewCommentReactionsAsync(long installationId, RepoRef repo, long commentId, CancellationToken cancellationToken = default);

    Task AddReviewCommentReactionAsync(long installationId, RepoRef repo, long commentId, string content, CancellationToken cancellationToken = default);

    Task AddIssueCommentReactionAsync(long installationId, RepoRef repo, long commentId, string content, CancellationToken cancellationToken = default);

    /// <summary>Replies in a review comment's thread; returns the reply's id.</summary>
    Task<long> ReplyToReviewCommentAsync(long installationId, RepoRef repo, int number, long commentId, string body, CancellationToken cancellationToken = default);

    /// <summary>A comment on the pull request's conversation; returns its id.</summary>
    Task<long> CreateIssueCommentAsync(long installationId, RepoRef repo, int number, string body, CancellationToken cancellationToken = default);
}
