using static CriticBot.Storage.SqlDatabase;

namespace CriticBot.Storage;

/// <summary>The review ledger.</summary>
public sealed partial class CriticBotStore
{
    public async Task<ReviewClaim> ClaimReviewAsync(ReviewKey key, string baseSha, string workerId, TimeSpan lease, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentException.ThrowIfNullOrEmpty(workerId);
        var nowMs = now.ToUnixTimeMilliseconds();
        var leaseUntil = nowMs + (long)lease.TotalMilliseconds;
        // One conditional upsert, atomic on both databases: a new row is ours; an existing one only while it is
        // in progress and either ours already (a retried delivery) or abandoned (its lease has passed).
        var claimSql = _db.Render("""
            INSERT INTO reviews (repository, pr_number, head_sha, base_sha, status, claimed_by, lease_until, attempts, created_at)
            VALUES (@repository, @pr, @head, @base, 'in_progress', @worker, @lease_until, 1, @now)
            ON CONFLICT (repository, pr_number, head_sha) DO UPDATE
            SET claimed_by = excluded.claimed_by, lease_until = excluded.lease_until, base_sha = excluded.base_sha,
                attempts = reviews.attempts + 1
            WHERE reviews.status = 'in_progress'
              AND (reviews.claimed_by = excluded.claimed_by OR COALESCE(reviews.lease_until, 0) < @now)
            RETURNING id
            """);
        // The claim lost: say why. The row may have changed since (a lease just ran out): then claim again.
        for (var attempt = 0; ; attempt++)
        {
            var claimed = await _db.WriteStatementAsync(async connection =>
            {
                await using var command = Command(connection, claimSql,
                    ("@repository", key.Repository), ("@pr", key.PullRequest), ("@head", key.HeadSha), ("@base", baseSha),
                    ("@worker", workerId), ("@lease_until", leaseUntil), ("@now", nowMs));
                var id = await command.ExecuteScalarAsync();
                return id is null or DBNull ? (long?)null : Convert.ToInt64(id, System.Globalization.CultureInfo.InvariantCulture);
            }, ct);
            if (claimed is { } reviewId)
            {
                return new ReviewClaim.Claimed(reviewId);
            }

            var holder = await ReadOneAsync("""
                SELECT status, claimed_by, lease_until FROM reviews
                WHERE repository = @repository AND pr_number = @pr AND head_sha = @head
                """, reader => new
                {
                    Status = StoredStatus.ParseReview(reader.GetString(0)),
                    HeldBy = NullableString(reader, 1) ?? "",
                    LeaseUntil = NullableInt64(reader, 2) ?? 0,
                }, ct, ("@repository", key.Repository), ("@pr", key.PullRequest), ("@head", key.HeadSha));
            if (holder is not null && holder.Status.IsFinished())
            {
                return new ReviewClaim.AlreadyDone(holder.Status);
            }

            if (holder is not null && (holder.LeaseUntil >= nowMs || attempt >= 2))
            {
                return new ReviewClaim.Busy(holder.HeldBy, DateTimeOffset.FromUnixTimeMilliseconds(holder.LeaseUntil));
            }
        }
    }

    public async Task<bool> RenewReviewClaimAsync(long reviewId, string workerId, DateTimeOffset leaseUntil, CancellationToken ct) =>
        await WriteAsync("""
            UPDATE reviews SET lease_until = @lease_until
            WHERE id = @id AND status = 'in_progress' AND claimed_by = @worker
            """, ct, ("@id", reviewId), ("@worker", workerId), ("@lease_until", leaseUntil.ToUnixTimeMilliseconds())) == 1;

    public Task<int> MarkSupersededAsync(string repository, int pullRequest, string exceptHeadSha, CancellationToken ct) =>
        WriteAsync("""
            UPDATE reviews SET status = 'superseded', reason = 'a newer head was pushed', claimed_by = NULL,
                lease_until = NULL, finished_at = @now
            WHERE repository = @repository AND pr_number = @pr AND head_sha <> @head AND status = 'in_progress'
            """, ct, ("@repository", repository), ("@pr", pullRequest), ("@head", exceptHeadSha), ("@now", NowMs()));

    public async Task<bool> IsSupersededAsync(long reviewId, CancellationToken ct)
    {
        var status = await ReadOneAsync("SELECT status FROM reviews WHERE id = @id", reader => reader.GetString(0), ct, ("@id", reviewId));
        return status is not null && StoredStatus.ParseReview(status) == ReviewStatus.Superseded;
    }

    public async Task MarkReviewPostedAsync(long reviewId, long githubReviewId, string summaryJson, CancellationToken ct)
    {
        var changed = await WriteAsync("""
            UPDATE reviews SET status = 'posted', github_review_id = @github_id, summary_json = @summary,
                claimed_by = NULL, lease_until = NULL, finished_at = @now
            WHERE id = @id
            """, ct, ("@id", reviewId), ("@github_id", githubReviewId), ("@summary", summaryJson), ("@now", NowMs()));
        EnsureFound(changed, reviewId);
    }

    public async Task MarkReviewFinishedAsync(long reviewId, ReviewStatus status, string reason, CancellationToken ct)
    {
        if (!status.IsFinished())
        {
            throw new ArgumentException($"'{status.ToStored()}' is not a finished review status.", nameof(status));
        }

        var changed = await WriteAsync("""
            UPDATE reviews SET status = @status, reason = @reason, claimed_by = NULL, lease_until = NULL, finished_at = @now
            WHERE id = @id
            """, ct, ("@id", reviewId), ("@status", status.ToStored()), ("@reason", reason), ("@now", NowMs()));
        EnsureFound(changed, reviewId);
    }

    public Task<string?> GetLastPostedHeadAsync(string repository, int pullRequest, CancellationToken ct) => ReadOneAsync("""
        SELECT head_sha FROM reviews
        WHERE repository = @repository AND pr_number = @pr AND status = 'posted'
        ORDER BY finished_at DESC, id DESC
        LIMIT 1
        """, reader => reader.GetString(0), ct, ("@repository", repository), ("@pr", pullRequest));

    /// <summary>One review as stored (operators and tests).</summary>
    public Task<ReviewRecord?> GetReviewAsync(ReviewKey key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(key);
        return ReadOneAsync("""
            SELECT id, base_sha, status, reason, github_review_id, summary_json, attempts FROM reviews
            WHERE repository = @repository AND pr_number = @pr AND head_sha = @head
            """, reader => new ReviewRecord
            {
                Id = Int64(reader, 0),
                Key = key,
                BaseSha = reader.GetString(1),
                Status = StoredStatus.ParseReview(reader.GetString(2)),
                Reason = NullableString(reader, 3),
                GitHubReviewId = NullableInt64(reader, 4),
                SummaryJson = NullableString(reader, 5),
                Attempts = Int32(reader, 6),
            }, ct, ("@repository", key.Repository), ("@pr", key.PullRequest), ("@head", key.HeadSha));
    }

    private static void EnsureFound(int changed, long reviewId)
    {
        if (changed == 0)
        {
            throw new InvalidOperationException($"Review {reviewId} does not exist.");
        }
    }
}
