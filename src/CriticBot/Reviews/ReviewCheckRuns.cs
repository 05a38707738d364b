using CriticBot.Engine.Model;
using CriticBot.GitHub;
using Microsoft.Extensions.Options;

namespace CriticBot.Reviews;

/// <summary>
/// Step 3, the check run's lifecycle: "Reviewing" on the head commit while the review runs, then exactly one way
/// out (posted, nothing to review, superseded, failed). A retried review takes over its earlier attempt's open run.
/// </summary>
public sealed partial class ReviewCheckRuns(IGitHubGateway github, IOptions<ReviewOptions> options, ILogger<ReviewCheckRuns> logger)
{
    public async Task<ReviewCheckRun> BeginAsync(ReviewRequest request, ReviewTarget target, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(target);
        const string title = "Reviewing";
        const string summary = "CriticBot is reviewing this push.";
        var name = options.Value.CheckRunName;
        if (await github.FindCheckRunAsync(request.InstallationId, target.Repo, target.HeadSha, name, ct) is { } earlier)
        {
            var run = new ReviewCheckRun(this, request, target.Repo, earlier);
            await run.UpdateAsync(new CheckRunUpdate { Status = CheckRunStatus.InProgress, Title = title, Summary = summary });
            return run;
        }

        var created = await github.CreateCheckRunAsync(request.InstallationId, target.Repo, new CheckRunDraft
        {
            Name = name,
            HeadSha = target.HeadSha,
            Status = CheckRunStatus.InProgress,
            Title = title,
            Summary = summary,
        }, ct);
        return new ReviewCheckRun(this, request, target.Repo, created);
    }

    internal async Task TryUpdateAsync(ReviewRequest request, RepoRef repo, long checkRunId, CheckRunUpdate update)
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not update the check run on {Repository}#{PullRequest}: {Error}")]
    private partial void LogCheckRunUpdateFailed(string repository, int pullRequest, string error);
}

/// <summary>One review's check run; every method is a no-op when GitHub gave no run (no checks permission).</summary>
public sealed class ReviewCheckRun
{
    private readonly ReviewCheckRuns _runs;
    private readonly ReviewRequest _request;
    private readonly RepoRef _repo;
    private readonly long? _id;

    internal ReviewCheckRun(ReviewCheckRuns runs, ReviewRequest request, RepoRef repo, long? id)
    {
        _runs = runs;
        _request = request;
        _repo = repo;
        _id = id;
    }

    /// <summary>Retried: the run stays open and the next attempt takes it over. Last attempt: closed, never left spinning.</summary>
    public Task FailedAsync(Exception error, bool lastAttempt)
    {
        var why = error is ModelUnavailableException ? "The critic model could not be reached." : "The review failed.";
        return UpdateAsync(lastAttempt
            ? new CheckRunUpdate { Status = CheckRunStatus.Completed, Conclusion = CheckRunConclusion.Neutral, Title = "Review failed", Summary = why }
            : new CheckRunUpdate { Status = CheckRunStatus.InProgress, Title = "Review failed; it will be retried", Summary = why });
    }

    public Task SupersededAsync(string stale) => UpdateAsync(new CheckRunUpdate
    {
        Status = CheckRunStatus.Completed,
        Conclusion = CheckRunConclusion.Skipped,
        Title = "Superseded by a newer push",
        Summary = $"Not posted: {stale}.",
    });

    /// <summary>Nothing was posted (nothing new, or the budget left nothing): the run still says what happened.</summary>
    public Task NothingPostedAsync(string title, string summary) => UpdateAsync(new CheckRunUpdate
    {
        Status = CheckRunStatus.Completed,
        Conclusion = CheckRunConclusion.Neutral,
        Title = title,
        Summary = summary,
    });

    public Task PostedAsync(int comments, string summary) => UpdateAsync(new CheckRunUpdate
    {
        Status = CheckRunStatus.Completed,
        Conclusion = CheckRunConclusion.Neutral,
        Title = comments == 1 ? "1 comment" : $"{comments} comments",
        Summary = summary,
    });

    internal Task UpdateAsync(CheckRunUpdate update) =>
        _id is { } id ? _runs.TryUpdateAsync(_request, _repo, id, update) : Task.CompletedTask;
}
