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
}
