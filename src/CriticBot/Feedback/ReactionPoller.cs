using System.Collections.Concurrent;
using CriticBot.GitHub;
using CriticBot.Reviews;
using CriticBot.Storage;
using Microsoft.Extensions.Options;

namespace CriticBot.Feedback;

/// <summary>
/// GitHub sends no webhook for reactions, so they are polled: each pull request with comments of ours, every
/// <see cref="FeedbackOptions.PollSeconds"/>, until <see cref="FeedbackOptions.DaysAfterClose"/> days after it
/// closed. A poll lists the pull request's review comments conditionally (the stored ETag; a 304 costs no rate
/// limit) and fetches a comment's reactions only when its counts changed: new reactions become events, vanished
/// ones retractions. The poller keeps to <see cref="FeedbackOptions.RateLimitShare"/> of each installation's rate
/// limit, reading x-ratelimit-remaining. Poll state lives in the store, claimed with a lease, so replicas share it.
/// </summary>
public sealed partial class ReactionPoller(
    IFeedbackLog log,
    IGitHubGateway github,
    RaterPermissions permissions,
    IOptions<FeedbackOptions> options,
    IOptions<ReviewOptions> reviewOptions,
    TimeProvider time,
    ILogger<ReactionPoller> logger) : BackgroundService
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    // Per installation, what GitHub last said of its rate limit, less what the poller spent since (an estimate
    // between two listings). GitHub's headers are the state every replica shares.
    private readonly ConcurrentDictionary<long, RateLimitSnapshot> _limits = new();

    private FeedbackOptions Options => options.Value;

    /// <summary>How many polls were put off to stay within the rate-limit share (tests and logs).</summary>
    public int Deferred { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Options.PollReactions)
        {
            return;
        }

        var tick = TimeSpan.FromMilliseconds(Math.Clamp(Options.PollInterval.TotalMilliseconds / 4, 250, 5000));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PollRoundAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogRoundFailed(ex.GetType().Name, ex.Message);
            }

            try
            {
                await Task.Delay(tick, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One bounded round: finds new pull requests to poll, claims up to a batch of due ones, polls each.</summary>
    public async Task<int> PollRoundAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await log.DiscoverPollsAsync(now, Options.PollInterval, 100, ct);
        var worker = reviewOptions.Value.WorkerId;
        var polls = await log.ClaimDuePollsAsync(worker, now, Lease, Options.PollBatch, ct);
        foreach (var poll in polls)
        {
            var (next, finished, updated) = (now + Options.PollInterval, false, poll);
            try
            {
                (next, finished, updated) = await PollAsync(poll, ct);
            }
            catch (Exception ex) when (ex is GitHubTransientException or GitHubRequestException or FormatException)
            {
                LogPollFailed(poll.Repository, poll.PullRequest, ex.Message);
            }

            await log.ReleasePollAsync(updated, worker, next, finished, time.GetUtcNow(), ct);
        }

        return polls.Count;
    }

    private async Task<(DateTimeOffset Next, bool Finished, FeedbackPoll Poll)> PollAsync(FeedbackPoll poll, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var next = now + Options.PollInterval;
        if (poll.ClosedAt is { } closed && closed + TimeSpan.FromDays(Options.DaysAfterClose) <= now)
        {
            LogFinished(poll.Repository, poll.PullRequest);
            return (next, true, poll);
        }

        if (DeferUntil(poll.InstallationId, now) is { } until)
        {
            Deferred++;
            // Spread the deferred polls over the time after the reset, so they do not all come back at once.
            return (until + TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * Options.PollInterval.TotalMilliseconds), false, poll);
        }

        var repo = RepoRef.Parse(poll.Repository);
        if (poll.AuthorLogin is null)
        {
            // Once per pull request: who wrote it (a rater may be its author), and whether it is already closed.
            var pull = await github.GetPullRequestAsync(poll.InstallationId, repo, poll.PullRequest, ct);
            Spend(poll.InstallationId);
            if (pull is null)
            {
                return (next, true, poll);
            }

            poll = poll with
            {
                AuthorLogin = pull.AuthorLogin,
                ClosedAt = pull.State == "closed" ? poll.ClosedAt ?? now : poll.ClosedAt,
            };
        }

        var listed = await github.ListPullRequestCommentsAsync(poll.InstallationId, repo, poll.PullRequest, poll.ETag, ct);
        if (listed.RateLimit is { } limit)
        {
            _limits[poll.InstallationId] = limit;
        }

        if (listed.NotModified)
        {
            return (next, false, poll);
        }

        poll = poll with { ETag = listed.ETag };
        var known = (await log.ListCommentsAsync(poll.Repository, poll.PullRequest, ct))
            .Where(c => c.GitHubCommentId is not null)
            .GroupBy(c => c.GitHubCommentId!.Value)
            .ToDictionary(g => g.Key, g => g.Last());
        string? botLogin = null;
        foreach (var comment in listed.Comments)
        {
            if (comment.InReplyToId is not null || comment.ReactionCounts.Length == 0)
            {
                continue;
            }

            FeedbackEvent link;
            if (known.TryGetValue(comment.Id, out var posted))
            {
                link = FeedbackRouter.Link(posted);
            }
            else if (comment.UserIsBot && CommentFingerprint.FromBody(comment.Body) is { } fingerprint
                && string.Equals(comment.UserLogin, botLogin ??= await github.GetBotLoginAsync(ct), StringComparison.OrdinalIgnoreCase))
            {
                // Ours, but not in the records (posted before feedback existed): recorded with what is known.
                var byFingerprint = await log.FindCommentByFingerprintAsync(poll.Repository, poll.PullRequest, fingerprint, ct);
                link = byFingerprint is null
                    ? new FeedbackEvent
                    {
                        SourceKey = "", Repository = poll.Repository, PullRequest = poll.PullRequest, Kind = FeedbackKind.Reaction,
                        OccurredAt = now, Fingerprint = fingerprint, GitHubCommentId = comment.Id, Path = comment.Path, Line = comment.Line,
                    }
                    : FeedbackRouter.Link(byFingerprint) with { GitHubCommentId = comment.Id };
            }
            else
            {
                continue;
            }

            if (DeferUntil(poll.InstallationId, time.GetUtcNow()) is not null)
            {
                // Out of share half-way: the rest waits; the ETag is dropped so the next poll lists again.
                Deferred++;
                return (next, false, poll with { ETag = null });
            }

            await PollCommentAsync(poll, repo, comment, link, ct);
        }

        return (next, false, poll);
    }

    private async Task PollCommentAsync(FeedbackPoll poll, RepoRef repo, PullCommentInfo comment, FeedbackEvent link, CancellationToken ct)
    {
        var state = await log.GetCommentStateAsync(comment.Id, ct);
        if (state?.Counts == comment.ReactionCounts)
        {
            return;
        }

        var seen = state?.Reactions ?? [];
        IReadOnlyList<SeenReaction> current = [];
        if (!NoReactions(comment.ReactionCounts))
        {
            var reactions = await github.ListReviewCommentReactionsAsync(poll.InstallationId, repo, comment.Id, ct);
            Spend(poll.InstallationId);
            current = [.. reactions.Where(r => !r.UserIsBot && !r.UserLogin.EndsWith("[bot]", StringComparison.OrdinalIgnoreCase))
                .Select(r => new SeenReaction(r.Id, r.UserLogin, r.Content))];
            var seenIds = seen.Select(r => r.Id).ToHashSet();
            foreach (var reaction in reactions.Where(r => !seenIds.Contains(r.Id) && current.Any(c => c.Id == r.Id)))
            {
                await AppendReactionAsync(poll, repo, link, reaction.Id, reaction.UserLogin, reaction.Content, reaction.CreatedAt, retracted: false, ct);
            }
        }

        var currentIds = current.Select(r => r.Id).ToHashSet();
        foreach (var gone in seen.Where(r => !currentIds.Contains(r.Id)))
        {
            // GitHub keeps no record of a removed reaction: it went between the last poll and this one.
            await AppendReactionAsync(poll, repo, link, gone.Id, gone.Login, gone.Content, time.GetUtcNow(), retracted: true, ct);
        }

        await log.SaveCommentStateAsync(comment.Id, new CommentReactionState(comment.ReactionCounts, current), ct);
    }

    private async Task AppendReactionAsync(FeedbackPoll poll, RepoRef repo, FeedbackEvent link, long reactionId, string login, string content,
        DateTimeOffset occurredAt, bool retracted, CancellationToken ct)
    {
        var permission = await permissions.GetAsync(poll.InstallationId, repo, login, ct);
        await log.AppendAsync(link with
        {
            SourceKey = retracted ? $"reaction:{reactionId}:retracted" : $"reaction:{reactionId}",
            Repository = poll.Repository,
            PullRequest = poll.PullRequest,
            Kind = retracted ? FeedbackKind.ReactionRetracted : FeedbackKind.Reaction,
            Value = ValueOf(content),
            Content = content,
            RaterLogin = login,
            RaterPermission = permission,
            RaterIsAuthor = poll.AuthorLogin is null ? null : string.Equals(poll.AuthorLogin, login, StringComparison.OrdinalIgnoreCase),
            OccurredAt = occurredAt,
            GitHubReactionId = reactionId,
        }, time.GetUtcNow(), ct);
    }

    /// <summary>+1, heart, hooray, rocket: positive; -1, confused: negative; laugh, eyes (and anything new): neutral.</summary>
    public static FeedbackValue ValueOf(string content) => content switch
    {
        "+1" or "heart" or "hooray" or "rocket" => FeedbackValue.Positive,
        "-1" or "confused" => FeedbackValue.Negative,
        _ => FeedbackValue.Neutral,
    };

    private static bool NoReactions(string counts) => counts.Split(',').All(part => part.EndsWith("=0", StringComparison.Ordinal));

    /// <summary>When the installation is past the poller's share of its window: the reset; else null.</summary>
    private DateTimeOffset? DeferUntil(long installationId, DateTimeOffset now)
    {
        if (!_limits.TryGetValue(installationId, out var limit) || limit.Reset <= now)
        {
            return null;
        }

        var floor = limit.Limit * (1 - Options.RateLimitShare);
        return limit.Remaining <= floor ? limit.Reset : null;
    }

    private void Spend(long installationId) =>
        _limits.AddOrUpdate(installationId, _ => new RateLimitSnapshot(0, 0, DateTimeOffset.MinValue), (_, l) => l with { Remaining = l.Remaining - 1 });

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reactions poll round failed: {Error}: {Message}")]
    private partial void LogRoundFailed(string error, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling reactions on {Repository}#{PullRequest} failed: {Error}")]
    private partial void LogPollFailed(string repository, int pullRequest, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reactions on {Repository}#{PullRequest} are no longer polled (closed, feedback window over)")]
    private partial void LogFinished(string repository, int pullRequest);
}
