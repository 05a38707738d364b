using System.Data.Common;
using System.Text.Json;
using static CriticBot.Storage.SqlDatabase;

namespace CriticBot.Storage;

/// <summary>The feedback log and the reactions poller's shared state (docs/feedback.md).</summary>
public sealed partial class CriticBotStore : IFeedbackLog
{
    private const string EventColumns = """
        e.id, e.source_key, e.repository, e.pr_number, e.kind, e.value, e.rating, e.content, e.text, e.rater_login,
        e.rater_permission, e.rater_is_author, e.occurred_at, e.recorded_at, e.review_id, e.fingerprint, e.github_comment_id,
        e.github_reply_id, e.github_reaction_id, e.github_thread_id, e.head_sha, e.path, e.line, e.chunk_index,
        c.candidate_index, c.group_id, c.sample_index, c.prompt_sha256, c.severity
        """;

    // The candidate a comment was made of: the posted one of its review with its fingerprint (one per group).
    private const string EventJoin = """
        FROM feedback_events e
        LEFT JOIN candidates_v2 c ON c.review_id = e.review_id AND c.fingerprint = e.fingerprint AND c.posted = 1
        """;

    private const string CommentColumns = """
        rc.review_id, r.repository, r.pr_number, r.head_sha, rc.fingerprint, rc.github_comment_id, rc.path, rc.line,
        rc.start_line, rc.side, rc.quote
        """;

    private static readonly string[] WriteAccess = ["admin", "maintain", "write"];

    /// <summary>Raised after a feedback event is recorded for the first time (for metrics; the store knows none).</summary>
    public event Action<FeedbackEvent>? FeedbackAppended;

    public async Task<bool> AppendAsync(FeedbackEvent feedback, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        if (feedback.Rating is < 1 or > 7)
        {
            throw new ArgumentException($"A rating is from 1 to 7, not {feedback.Rating}.", nameof(feedback));
        }

        var added = await WriteAsync("""
            INSERT INTO feedback_events (source_key, repository, pr_number, kind, value, rating, content, text, rater_login,
                rater_permission, rater_is_author, occurred_at, recorded_at, review_id, fingerprint, github_comment_id,
                github_reply_id, github_reaction_id, github_thread_id, head_sha, path, line, chunk_index)
            VALUES (@source_key, @repository, @pr, @kind, @value, @rating, @content, @text, @rater_login, @rater_permission,
                @rater_is_author, @occurred_at, @recorded_at, @review_id, @fingerprint, @github_comment_id, @github_reply_id,
                @github_reaction_id, @github_thread_id, @head_sha, @path, @line, @chunk_index)
            ON CONFLICT (source_key) DO NOTHING
            """, ct,
            ("@source_key", feedback.SourceKey), ("@repository", feedback.Repository), ("@pr", feedback.PullRequest),
            ("@kind", feedback.Kind.ToStored()), ("@value", feedback.Value?.ToStored()), ("@rating", feedback.Rating),
            ("@content", feedback.Content), ("@text", feedback.Text), ("@rater_login", feedback.RaterLogin),
            ("@rater_permission", feedback.RaterPermission),
            ("@rater_is_author", feedback.RaterIsAuthor is { } author ? (author ? 1 : 0) : null),
            ("@occurred_at", feedback.OccurredAt.ToUnixTimeMilliseconds()), ("@recorded_at", now.ToUnixTimeMilliseconds()),
            ("@review_id", feedback.ReviewId), ("@fingerprint", feedback.Fingerprint), ("@github_comment_id", feedback.GitHubCommentId),
            ("@github_reply_id", feedback.GitHubReplyId), ("@github_reaction_id", feedback.GitHubReactionId),
            ("@github_thread_id", feedback.GitHubThreadId), ("@head_sha", feedback.HeadSha), ("@path", feedback.Path),
            ("@line", feedback.Line), ("@chunk_index", feedback.ChunkIndex));
        if (added == 1)
        {
            FeedbackAppended?.Invoke(feedback);
        }

        return added == 1;
    }

    public Task<PostedCommentRef?> FindCommentAsync(string repository, long gitHubCommentId, CancellationToken ct) => ReadOneAsync($"""
        SELECT {CommentColumns} FROM review_comments rc JOIN reviews r ON r.id = rc.review_id
        WHERE rc.github_comment_id = @id AND r.repository = @repository
        ORDER BY rc.review_id DESC LIMIT 1
        """, ReadComment, ct, ("@id", gitHubCommentId), ("@repository", repository));

    public Task<PostedCommentRef?> FindCommentByFingerprintAsync(string repository, int pullRequest, string fingerprint, CancellationToken ct) => ReadOneAsync($"""
        SELECT {CommentColumns} FROM review_comments rc JOIN reviews r ON r.id = rc.review_id
        WHERE r.repository = @repository AND r.pr_number = @pr AND rc.fingerprint = @fingerprint
        ORDER BY rc.review_id DESC LIMIT 1
        """, ReadComment, ct, ("@repository", repository), ("@pr", pullRequest), ("@fingerprint", fingerprint));

    public async Task<IReadOnlyList<PostedCommentRef>> ListCommentsAsync(string repository, int pullRequest, CancellationToken ct) => await ReadAllAsync($"""
        SELECT {CommentColumns} FROM review_comments rc JOIN reviews r ON r.id = rc.review_id
        WHERE r.repository = @repository AND r.pr_number = @pr
        ORDER BY rc.review_id, rc.fingerprint
        """, ReadComment, ct, ("@repository", repository), ("@pr", pullRequest));

    public async Task<IReadOnlyList<PostedCommentRef>> ListRatedDownCommentsAsync(string repository, int pullRequest, CancellationToken ct) => await ReadAllAsync($"""
        SELECT {CommentColumns} FROM review_comments rc JOIN reviews r ON r.id = rc.review_id
        WHERE r.repository = @repository AND r.pr_number = @pr
          AND EXISTS (
            SELECT 1 FROM feedback_events e
            WHERE e.review_id = rc.review_id AND e.fingerprint = rc.fingerprint
              AND e.rater_permission IN ('{string.Join("', '", WriteAccess)}')
              AND (e.kind IN ('command_wrong', 'command_nit')
                OR (e.kind = 'reaction' AND e.value = 'negative' AND NOT EXISTS (
                    SELECT 1 FROM feedback_events x
                    WHERE x.kind = 'reaction_retracted' AND x.github_reaction_id = e.github_reaction_id))))
        ORDER BY rc.review_id, rc.fingerprint
        """, ReadComment, ct, ("@repository", repository), ("@pr", pullRequest));

    public async Task<(long ReviewId, int ChunkIndex)?> FindNearestChunkAsync(string repository, int pullRequest, string path, int line, CancellationToken ct)
    {
        var byCandidate = await ReadOneAsync("""
            SELECT c.review_id, c.chunk_index FROM candidates_v2 c JOIN reviews r ON r.id = c.review_id
            WHERE r.repository = @repository AND r.pr_number = @pr AND c.path = @path AND c.line IS NOT NULL
            ORDER BY r.id DESC, ABS(c.line - @line), c.chunk_index
            LIMIT 1
            """, reader => new Tuple<long, int>(Int64(reader, 0), Int32(reader, 1)), ct,
            ("@repository", repository), ("@pr", pullRequest), ("@path", path), ("@line", line));
        if (byCandidate is not null)
        {
            return (byCandidate.Item1, byCandidate.Item2);
        }

        // The prompt shows the file's diff under its path; LIKE with the path's wildcards escaped.
        var pattern = "%" + path.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal) + "%";
        var byPrompt = await ReadOneAsync("""
            SELECT m.review_id, m.chunk_index FROM model_calls m
            JOIN reviews r ON r.id = m.review_id
            JOIN prompts p ON p.sha256 = m.prompt_sha256
            WHERE r.repository = @repository AND r.pr_number = @pr AND p.user_prompt LIKE @pattern ESCAPE '\'
            ORDER BY r.id DESC, m.chunk_index
            LIMIT 1
            """, reader => new Tuple<long, int>(Int64(reader, 0), Int32(reader, 1)), ct,
            ("@repository", repository), ("@pr", pullRequest), ("@pattern", pattern));
        return byPrompt is null ? null : (byPrompt.Item1, byPrompt.Item2);
    }

    public async Task<IReadOnlyList<FeedbackEventRecord>> ListEventsAsync(string repository, int pullRequest, CancellationToken ct) => await ReadAllAsync($"""
        SELECT {EventColumns} {EventJoin}
        WHERE e.repository = @repository AND e.pr_number = @pr
        ORDER BY e.id
        """, ReadEvent, ct, ("@repository", repository), ("@pr", pullRequest));

    public async Task<IReadOnlyList<FeedbackEventRecord>> ListAllEventsAsync(string? repository, DateTimeOffset? since, CancellationToken ct) => await ReadAllAsync($"""
        SELECT {EventColumns} {EventJoin}
        WHERE {(repository is null ? "1 = 1" : "LOWER(e.repository) = @repository")} AND e.occurred_at >= @since
        ORDER BY e.id
        """, ReadEvent, ct, ("@repository", repository?.ToLowerInvariant() ?? ""), ("@since", since?.ToUnixTimeMilliseconds() ?? long.MinValue));

    public async Task<IReadOnlyList<CommentForStats>> ListCommentsForStatsAsync(string? repository, DateTimeOffset? since, CancellationToken ct) => await ReadAllAsync($"""
        SELECT r.repository, rc.review_id, rc.fingerprint,
            COALESCE((SELECT MIN(c.severity) FROM candidates_v2 c WHERE c.review_id = rc.review_id AND c.fingerprint = rc.fingerprint AND c.posted = 1), 'unknown'),
            r.summary_json, COALESCE(r.finished_at, r.created_at)
        FROM review_comments rc JOIN reviews r ON r.id = rc.review_id
        WHERE {(repository is null ? "1 = 1" : "LOWER(r.repository) = @repository")} AND COALESCE(r.finished_at, r.created_at) >= @since
        ORDER BY rc.review_id, rc.fingerprint
        """, reader => new CommentForStats
        {
            Repository = reader.GetString(0),
            ReviewId = Int64(reader, 1),
            Fingerprint = reader.GetString(2),
            Severity = reader.GetString(3),
            SummaryJson = NullableString(reader, 4),
            PostedAt = DateTimeOffset.FromUnixTimeMilliseconds(Int64(reader, 5)),
        }, ct, ("@repository", repository?.ToLowerInvariant() ?? ""), ("@since", since?.ToUnixTimeMilliseconds() ?? long.MinValue));

    public Task<int> DiscoverPollsAsync(DateTimeOffset now, TimeSpan spread, int limit, CancellationToken ct)
    {
        // A pull request with an inline comment of ours and no poll row yet; its installation is the one its latest
        // delivery came from. The first poll is spread over the interval, so a backlog does not poll all at once.
        var nowMs = now.ToUnixTimeMilliseconds();
        return _db.WriteAsync(async connection =>
        {
            var found = new List<(string Repository, int Number, long Installation)>();
            await using (var command = Command(connection, _db.Render("""
                SELECT DISTINCT r.repository, r.pr_number,
                    (SELECT d.installation_id FROM deliveries d
                     WHERE d.repository = r.repository AND d.installation_id IS NOT NULL ORDER BY d.id DESC LIMIT 1)
                FROM reviews r
                WHERE r.status = 'posted'
                  AND EXISTS (SELECT 1 FROM review_comments rc WHERE rc.review_id = r.id AND rc.github_comment_id IS NOT NULL)
                  AND NOT EXISTS (SELECT 1 FROM feedback_polls p WHERE p.repository = r.repository AND p.pr_number = r.pr_number)
                LIMIT @limit
                """), ("@limit", limit)))
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    if (NullableInt64(reader, 2) is { } installation)
                    {
                        found.Add((reader.GetString(0), Int32(reader, 1), installation));
                    }
                }
            }

            var added = 0;
            foreach (var (repository, number, installation) in found)
            {
                var first = nowMs + (long)(Random.Shared.NextDouble() * spread.TotalMilliseconds);
                added += await ExecuteAsync(connection, """
                    INSERT INTO feedback_polls (repository, pr_number, installation_id, next_poll_at)
                    VALUES (@repository, @pr, @installation, @next)
                    ON CONFLICT (repository, pr_number) DO NOTHING
                    """, ("@repository", repository), ("@pr", number), ("@installation", installation), ("@next", first));
            }

            return added;
        }, ct);
    }

    public async Task<IReadOnlyList<FeedbackPoll>> ClaimDuePollsAsync(string workerId, DateTimeOffset now, TimeSpan lease, int limit, CancellationToken ct)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        // One conditional statement per claim, like deliveries: racing replicas never get the same poll.
        var sql = _db.Render("""
            UPDATE feedback_polls SET claimed_by = @worker, lease_until = @lease_until
            WHERE finished = 0 AND next_poll_at <= @now AND COALESCE(lease_until, 0) < @now
              AND (repository, pr_number) = (
                SELECT p.repository, p.pr_number FROM feedback_polls p
                WHERE p.finished = 0 AND p.next_poll_at <= @now AND COALESCE(p.lease_until, 0) < @now
                ORDER BY p.next_poll_at
                LIMIT 1
                {skip_locked})
            RETURNING repository, pr_number, installation_id, author_login, closed_at, etag
            """);
        var claimed = new List<FeedbackPoll>();
        while (claimed.Count < limit)
        {
            var poll = await _db.WriteStatementAsync(async connection =>
            {
                await using var command = Command(connection, sql,
                    ("@worker", workerId), ("@lease_until", nowMs + (long)lease.TotalMilliseconds), ("@now", nowMs));
                await using var reader = await command.ExecuteReaderAsync();
                return await reader.ReadAsync() ? ReadPoll(reader) : null;
            }, ct);
            if (poll is null)
            {
                break;
            }

            claimed.Add(poll);
        }

        return claimed;
    }

    public async Task ReleasePollAsync(FeedbackPoll poll, string workerId, DateTimeOffset nextPollAt, bool finished, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(poll);
        await WriteAsync("""
            UPDATE feedback_polls
            SET claimed_by = NULL, lease_until = NULL, next_poll_at = @next, finished = @finished, etag = @etag,
                author_login = COALESCE(@author, author_login), closed_at = COALESCE(closed_at, @closed_at), last_polled_at = @now
            WHERE repository = @repository AND pr_number = @pr AND claimed_by = @worker
            """, ct, ("@next", nextPollAt.ToUnixTimeMilliseconds()), ("@finished", finished ? 1 : 0), ("@etag", poll.ETag),
            ("@author", poll.AuthorLogin), ("@closed_at", poll.ClosedAt?.ToUnixTimeMilliseconds()), ("@now", now.ToUnixTimeMilliseconds()), ("@repository", poll.Repository),
            ("@pr", poll.PullRequest), ("@worker", workerId));
    }

    public Task SetPullRequestClosedAsync(string repository, int pullRequest, DateTimeOffset? closedAt, DateTimeOffset now, CancellationToken ct) =>
        // Only a pull request already polled: one with no comment of ours has nothing to poll (its first poll reads
        // its state from GitHub anyway). Reopened: polled again from now.
        WriteAsync("""
            UPDATE feedback_polls SET closed_at = @closed_at, finished = 0, next_poll_at = MIN_NEXT
            WHERE repository = @repository AND pr_number = @pr
            """.Replace("MIN_NEXT", closedAt is null ? "@now" : "next_poll_at", StringComparison.Ordinal), ct,
            ("@repository", repository), ("@pr", pullRequest), ("@closed_at", closedAt?.ToUnixTimeMilliseconds()), ("@now", now.ToUnixTimeMilliseconds()));

    public async Task<CommentReactionState?> GetCommentStateAsync(long gitHubCommentId, CancellationToken ct)
    {
        var row = await ReadOneAsync("SELECT counts, reactions FROM feedback_comment_state WHERE github_comment_id = @id",
            reader => new { Counts = reader.GetString(0), Reactions = reader.GetString(1) }, ct, ("@id", gitHubCommentId));
        return row is null
            ? null
            : new CommentReactionState(row.Counts, JsonSerializer.Deserialize<List<SeenReaction>>(row.Reactions) ?? []);
    }

    public Task SaveCommentStateAsync(long gitHubCommentId, CommentReactionState state, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(state);
        return WriteAsync("""
            INSERT INTO feedback_comment_state (github_comment_id, counts, reactions) VALUES (@id, @counts, @reactions)
            ON CONFLICT (github_comment_id) DO UPDATE SET counts = excluded.counts, reactions = excluded.reactions
            """, ct, ("@id", gitHubCommentId), ("@counts", state.Counts), ("@reactions", JsonSerializer.Serialize(state.Reactions)));
    }

    /// <summary>Deletes a repository's feedback (part of <c>criticbot forget</c>); returns the events deleted.</summary>
    internal static async Task<int> DeleteFeedbackAsync(DbConnection connection, (string Name, object? Value) repository)
    {
        await ExecuteAsync(connection, """
            DELETE FROM feedback_comment_state WHERE github_comment_id IN (
                SELECT rc.github_comment_id FROM review_comments rc JOIN reviews r ON r.id = rc.review_id
                WHERE LOWER(r.repository) = @repository AND rc.github_comment_id IS NOT NULL)
            """, repository);
        await ExecuteAsync(connection, "DELETE FROM feedback_polls WHERE LOWER(repository) = @repository", repository);
        await ExecuteAsync(connection, "DELETE FROM repository_sharing WHERE repository = @repository", repository); // stored lower-case
        return await ExecuteAsync(connection, "DELETE FROM feedback_events WHERE LOWER(repository) = @repository", repository);
    }

    private static FeedbackPoll ReadPoll(DbDataReader reader) => new()
    {
        Repository = reader.GetString(0),
        PullRequest = Int32(reader, 1),
        InstallationId = Int64(reader, 2),
        AuthorLogin = NullableString(reader, 3),
        ClosedAt = NullableInt64(reader, 4) is { } closed ? DateTimeOffset.FromUnixTimeMilliseconds(closed) : null,
        ETag = NullableString(reader, 5),
    };

    private static PostedCommentRef ReadComment(DbDataReader reader) => new()
    {
        ReviewId = Int64(reader, 0),
        Repository = reader.GetString(1),
        PullRequest = Int32(reader, 2),
        HeadSha = reader.GetString(3),
        Fingerprint = reader.GetString(4),
        GitHubCommentId = NullableInt64(reader, 5),
        Path = reader.GetString(6),
        Line = Int32(reader, 7),
        StartLine = NullableInt32(reader, 8),
        Side = reader.GetString(9),
        Quote = reader.GetString(10),
    };

    private static FeedbackEventRecord ReadEvent(DbDataReader reader) => new()
    {
        Id = Int64(reader, 0),
        Event = new FeedbackEvent
        {
            SourceKey = reader.GetString(1),
            Repository = reader.GetString(2),
            PullRequest = Int32(reader, 3),
            Kind = FeedbackStored.ParseKind(reader.GetString(4)),
            Value = FeedbackStored.ParseValue(NullableString(reader, 5)),
            Rating = NullableInt32(reader, 6),
            Content = NullableString(reader, 7),
            Text = NullableString(reader, 8),
            RaterLogin = NullableString(reader, 9),
            RaterPermission = NullableString(reader, 10),
            RaterIsAuthor = NullableInt32(reader, 11) is { } author ? author == 1 : null,
            OccurredAt = DateTimeOffset.FromUnixTimeMilliseconds(Int64(reader, 12)),
            ReviewId = NullableInt64(reader, 14),
            Fingerprint = NullableString(reader, 15),
            GitHubCommentId = NullableInt64(reader, 16),
            GitHubReplyId = NullableInt64(reader, 17),
            GitHubReactionId = NullableInt64(reader, 18),
            GitHubThreadId = NullableString(reader, 19),
            HeadSha = NullableString(reader, 20),
            Path = NullableString(reader, 21),
            Line = NullableInt32(reader, 22),
            ChunkIndex = NullableInt32(reader, 23),
        },
        RecordedAt = DateTimeOffset.FromUnixTimeMilliseconds(Int64(reader, 13)),
        CandidateIndex = NullableInt32(reader, 24),
        GroupId = NullableInt32(reader, 25),
        SampleIndex = NullableInt32(reader, 26),
        PromptSha256 = NullableString(reader, 27),
        Severity = NullableString(reader, 28),
    };
}
