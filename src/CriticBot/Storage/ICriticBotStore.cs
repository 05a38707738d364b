namespace CriticBot.Storage;

/// <summary>
/// The one storage seam. SQLite today (<see cref="SqliteCriticBotStore"/>); the SQL is kept portable so a
/// PostgreSQL implementation can follow. Timestamps are passed in by callers so tests control time.
/// </summary>
public interface ICriticBotStore : IResearchLog, IDataRetention
{
    /// <summary>Creates or upgrades the schema; safe to call from several processes at once.</summary>
    Task MigrateAsync(CancellationToken ct);

    /// <summary>Cheap round trip for readiness probes; throws when the database is unreachable.</summary>
    Task PingAsync(CancellationToken ct);

    // Deliveries: the durable inbox.

    /// <summary>
    /// Stores a raw webhook delivery; false when a delivery with the same id already exists. A delivery that had
    /// failed is queued again instead (true): that is GitHub's "Redeliver" button, pressed once the cause is fixed.
    /// </summary>
    Task<bool> TryAddDeliveryAsync(NewDelivery delivery, CancellationToken ct);

    /// <summary>
    /// Claims the oldest ready delivery (pending and due, or processing with an expired lease) whose pull request
    /// has no earlier unfinished delivery. Increments its attempt count. Null when nothing is ready.
    /// </summary>
    Task<ClaimedDelivery?> ClaimNextDeliveryAsync(string workerId, TimeSpan lease, DateTimeOffset now, CancellationToken ct);

    /// <summary>Pushes the lease of a delivery this worker still holds; false when the claim was lost.</summary>
    Task<bool> ExtendDeliveryLeaseAsync(long id, string workerId, DateTimeOffset leaseUntil, CancellationToken ct);

    Task CompleteDeliveryAsync(long id, string outcome, CancellationToken ct);

    Task RetryDeliveryAsync(long id, string lastError, DateTimeOffset nextAttemptAt, CancellationToken ct);

    Task FailDeliveryAsync(long id, string reason, CancellationToken ct);

    /// <summary>Returns a claimed delivery to pending without counting the attempt (graceful shutdown).</summary>
    Task ReleaseDeliveryAsync(long id, CancellationToken ct);

    Task<DeliveryRecord?> GetDeliveryAsync(string deliveryId, CancellationToken ct);

    /// <summary>Number of deliveries per status (pending, processing, done, failed, ignored).</summary>
    Task<IReadOnlyDictionary<string, int>> CountDeliveriesByStatusAsync(CancellationToken ct);

    // Installations.

    Task RecordInstallationAsync(long installationId, string account, string action, CancellationToken ct);

    Task<InstallationRecord?> GetInstallationAsync(long installationId, CancellationToken ct);

    // Reviews: one row per (repository, pull request, head sha).

    Task<ReviewClaim> ClaimReviewAsync(ReviewKey key, string baseSha, string workerId, TimeSpan lease, DateTimeOffset now, CancellationToken ct);

    /// <summary>Marks in_progress reviews of older heads superseded; returns how many.</summary>
    Task<int> MarkSupersededAsync(string repository, int pullRequest, string exceptHeadSha, CancellationToken ct);

    Task<bool> IsSupersededAsync(long reviewId, CancellationToken ct);

    Task MarkReviewPostedAsync(long reviewId, long githubReviewId, string summaryJson, CancellationToken ct);

    /// <summary>Ends a review with a status from <see cref="ReviewStatus"/> other than in_progress.</summary>
    Task MarkReviewFinishedAsync(long reviewId, string status, string reason, CancellationToken ct);

    Task<string?> GetLastPostedHeadAsync(string repository, int pullRequest, CancellationToken ct);

    Task<ReviewRecord?> GetReviewAsync(ReviewKey key, CancellationToken ct);

    // Research material: every candidate and the exact prompts.

    Task SaveCandidatesAsync(long reviewId, IReadOnlyList<CandidateRow> rows, CancellationToken ct);

    Task<IReadOnlyList<CandidateRow>> GetCandidatesAsync(long reviewId, CancellationToken ct);

    /// <summary>Saves prompts once per sha256 and links them to the review.</summary>
    Task SavePromptsAsync(long reviewId, IReadOnlyList<PromptRow> rows, CancellationToken ct);

    Task<PromptRow?> GetPromptAsync(string sha256, CancellationToken ct);

    // Posted comments.

    Task SavePostedCommentsAsync(long reviewId, IReadOnlyList<PostedCommentRow> rows, CancellationToken ct);

    /// <summary>Fingerprints of every comment posted on the pull request, so none is posted twice.</summary>
    Task<IReadOnlySet<string>> GetPostedFingerprintsAsync(string repository, int pullRequest, CancellationToken ct);
}
