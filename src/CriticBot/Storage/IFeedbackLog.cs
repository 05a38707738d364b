namespace CriticBot.Storage;

/// <summary>
/// What maintainers thought of the bot's comments (docs/feedback.md): an append-only event log linked to the posted
/// comments, and the reactions poller's state, shared by replicas through the database.
/// </summary>
public interface IFeedbackLog
{
    /// <summary>Appends the event unless one with its source key is already there; true when it was new.</summary>
    Task<bool> AppendAsync(FeedbackEvent feedback, DateTimeOffset now, CancellationToken ct);

    /// <summary>The posted comment GitHub knows by this id; null when none of ours has it.</summary>
    Task<PostedCommentRef?> FindCommentAsync(string repository, long gitHubCommentId, CancellationToken ct);

    /// <summary>The posted comment of this pull request with this fingerprint (the newest), for comments whose id is unknown.</summary>
    Task<PostedCommentRef?> FindCommentByFingerprintAsync(string repository, int pullRequest, string fingerprint, CancellationToken ct);

    /// <summary>Every comment posted on the pull request (inline or moved into the body), oldest first.</summary>
    Task<IReadOnlyList<PostedCommentRef>> ListCommentsAsync(string repository, int pullRequest, CancellationToken ct);

    /// <summary>
    /// Fingerprints of the pull request's comments rated down (a negative reaction not retracted, /critic wrong or
    /// /critic nit) by someone with write access (admin, maintain, write).
    /// </summary>
    Task<IReadOnlyList<PostedCommentRef>> ListRatedDownCommentsAsync(string repository, int pullRequest, CancellationToken ct);

    /// <summary>
    /// The reviewed chunk nearest a line of a file: the chunk of the newest review of the pull request whose
    /// candidates sit closest to the line, else the newest chunk whose prompt names the file; null when none.
    /// </summary>
    Task<(long ReviewId, int ChunkIndex)?> FindNearestChunkAsync(string repository, int pullRequest, string path, int line, CancellationToken ct);

    Task<IReadOnlyList<FeedbackEventRecord>> ListEventsAsync(string repository, int pullRequest, CancellationToken ct);

    /// <summary>Adds a poll row for every pull request with posted inline comments that has none; returns how many (at most <paramref name="limit"/>).</summary>
    Task<int> DiscoverPollsAsync(DateTimeOffset now, TimeSpan spread, int limit, CancellationToken ct);

    /// <summary>Claims up to <paramref name="limit"/> due polls (not finished, next_poll_at passed, no live lease).</summary>
    Task<IReadOnlyList<FeedbackPoll>> ClaimDuePollsAsync(string workerId, DateTimeOffset now, TimeSpan lease, int limit, CancellationToken ct);

    /// <summary>Releases a claimed poll: its next time, its ETag and author; <paramref name="finished"/> stops it for good.</summary>
    Task ReleasePollAsync(FeedbackPoll poll, string workerId, DateTimeOffset nextPollAt, bool finished, DateTimeOffset now, CancellationToken ct);

    /// <summary>Records on its poll that the pull request closed (null: reopened); nothing when it is not polled.</summary>
    Task SetPullRequestClosedAsync(string repository, int pullRequest, DateTimeOffset? closedAt, DateTimeOffset now, CancellationToken ct);

    Task<CommentReactionState?> GetCommentStateAsync(long gitHubCommentId, CancellationToken ct);

    Task SaveCommentStateAsync(long gitHubCommentId, CommentReactionState state, CancellationToken ct);

    /// <summary>Every posted comment with its severity and review, for stats (optionally one repository, since a time).</summary>
    Task<IReadOnlyList<CommentForStats>> ListCommentsForStatsAsync(string? repository, DateTimeOffset? since, CancellationToken ct);

    /// <summary>Every event (optionally one repository, since a time), for stats.</summary>
    Task<IReadOnlyList<FeedbackEventRecord>> ListAllEventsAsync(string? repository, DateTimeOffset? since, CancellationToken ct);
}
