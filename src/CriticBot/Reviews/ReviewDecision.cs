using CriticBot.GitHub;

namespace CriticBot.Reviews;

/// <summary>What the pipeline reviews: the pull request as GitHub has it now, and its repository's configuration.</summary>
public sealed record ReviewTarget
{
    public required RepoRef Repo { get; init; }
    public required PullRequestInfo PullRequest { get; init; }
    public required RepositoryConfig Config { get; init; }

    public string HeadSha => PullRequest.HeadSha;
}

/// <summary>Either a target to review or, in words, why there is nothing to review.</summary>
public sealed record ReviewDecision
{
    public ReviewTarget? Target { get; init; }
    public string? Skipped { get; init; }

    public static ReviewDecision Skip(string outcome) => new() { Skipped = outcome };
}

/// <summary>
/// Step 1, whether to review: the pull request is open, the repository has not turned CriticBot off, and a draft
/// is reviewed only when configured or asked for. Decided before any claim, so a skipped head can still be reviewed
/// on a maintainer's request.
/// </summary>
public sealed class ReviewDecider(IGitHubGateway github, Storage.IRepositorySharingLog sharing)
{
    public async Task<ReviewDecision> DecideAsync(ReviewRequest request, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var repo = RepoRef.Parse(request.Repository);
        var pr = await github.GetPullRequestAsync(request.InstallationId, repo, request.Number, ct);
        if (pr is null)
        {
            return ReviewDecision.Skip("skipped: pull request not found");
        }

        if (!string.Equals(pr.State, "open", StringComparison.OrdinalIgnoreCase))
        {
            return ReviewDecision.Skip("skipped: pull request is closed");
        }

        // From the default branch: the base branch is the author's to choose (retarget), the default branch is not.
        var config = RepositoryConfig.Parse(
            await github.GetFileContentAsync(request.InstallationId, repo, RepositoryConfig.Path, pr.DefaultBranch, ct));
        // What the export needs to honour a private repository's consent (docs/export.md), as of this review.
        await sharing.RecordSharingAsync(request.Repository, request.RepositoryPrivate, config.ShareFeedback, ct);
        if (!config.Enabled)
        {
            return ReviewDecision.Skip("skipped: disabled by configuration");
        }

        if (pr.Draft && !config.ReviewDrafts && !request.Explicit)
        {
            return ReviewDecision.Skip("skipped: draft pull request");
        }

        return new ReviewDecision { Target = new ReviewTarget { Repo = repo, PullRequest = pr, Config = config } };
    }
}
