using System.Net;
using CriticBot.Engine.Chunking;
using CriticBot.Engine.Diff;
using CriticBot.GitHub;

namespace CriticBot.Reviews;

/// <summary>What one review looks at, and what GitHub will anchor comments to.</summary>
public sealed record ReviewDiff
{
    /// <summary>What is reviewed: the whole pull request, or only what changed since <see cref="Since"/>.</summary>
    public required ParsedDiff Diff { get; init; }

    /// <summary>The pull request's own diff: where GitHub accepts comments, whatever was reviewed.</summary>
    public required DiffIndex PullRequestIndex { get; init; }

    /// <summary>Files in <see cref="Diff"/> that GitHub sent no patch for.</summary>
    public required IReadOnlyList<SkippedFile> NoPatch { get; init; }

    /// <summary>The previously reviewed head when only the changes since then are reviewed.</summary>
    public string? Since { get; init; }
}

/// <summary>
/// Step 4, the incremental diff: everything on the first review; on later pushes only what changed since the last
/// reviewed head (GitHub's compare), limited to files still in the pull request. A force push GitHub cannot
/// compare falls back to the whole pull request.
/// </summary>
public sealed partial class IncrementalDiff(IGitHubGateway github, ReviewLedger ledger, Feedback.AddressedComments addressed, ILogger<IncrementalDiff> logger)
{
    public async Task<ReviewDiff> ForAsync(ReviewRequest request, ReviewTarget target, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(target);
        var prFiles = await github.ListPullRequestFilesAsync(request.InstallationId, target.Repo, request.Number, ct);
        var prDiff = ReviewAnchors.DiffOf(prFiles, out var prNoPatch);
        var index = new DiffIndex(prDiff);
        var whole = new ReviewDiff { Diff = prDiff, PullRequestIndex = index, NoPatch = prNoPatch };

        var lastHead = await ledger.GetLastPostedHeadAsync(request.Repository, request.Number, ct);
        if (lastHead is null || lastHead == target.HeadSha)
        {
            return whole;
        }

        IReadOnlyList<ChangedFile> changed;
        try
        {
            changed = await github.CompareAsync(request.InstallationId, target.Repo, lastHead, target.HeadSha, ct);
        }
        catch (GitHubRequestException ex) when (ex.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.UnprocessableEntity)
        {
            LogCompareFailed(request.Repository, request.Number, lastHead, target.HeadSha, (int?)ex.StatusCode);
            return whole;
        }

        // Feedback: comments whose lines this push changed were addressed (docs/feedback.md).
        await addressed.RecordAsync(request.Repository, request.Number, lastHead, target.HeadSha, changed, ct);
        var inPullRequest = prFiles.Select(f => f.Filename).ToHashSet(StringComparer.Ordinal);
        var diff = ReviewAnchors.DiffOf([.. changed.Where(f => inPullRequest.Contains(f.Filename))], out var noPatch);
        return new ReviewDiff { Diff = diff, PullRequestIndex = index, NoPatch = noPatch, Since = lastHead };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Compare {Base}...{Head} failed on {Repository}#{PullRequest} ({Status}); reviewing the whole pull request")]
    private partial void LogCompareFailed(string repository, int pullRequest, string @base, string head, int? status);
}
