namespace CriticBot.Storage;

/// <summary>
/// The one storage seam. SQLite today (<see cref="SqliteCriticBotStore"/>); the SQL is kept portable so a
/// PostgreSQL implementation can follow. Timestamps are passed in by callers so tests control time.
/// </summary>
public interface ICriticBotStore
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

    // ---- Pipeline block (issue 6 §5 cost and fairness, §6 crash recovery). Added by the pipeline branch; each
    // ---- statement is portable SQL (see SqliteCriticBotStore's matching block) for the PostgreSQL port.

    /// <summary>
    /// Pushes the lease of a review this worker holds; false when it no longer does (superseded, finished, or
    /// taken over after the lease passed): the holder must then stop.
    /// </summary>
    Task<bool> ExtendReviewLeaseAsync(long reviewId, string workerId, DateTimeOffset leaseUntil, CancellationToken ct);

    /// <summary>The highest delivery row id stored for the pull request (any event, any status); null when none.</summary>
    Task<long?> GetLatestDeliveryIdAsync(string repository, int pullRequest, CancellationToken ct);

    /// <summary>The highest id of a pending delivery of <paramref name="eventName"/> for the pull request above <paramref name="afterId"/>; null when none.</summary>
    Task<long?> GetNewerPendingDeliveryIdAsync(string repository, int pullRequest, string eventName, long afterId, CancellationToken ct);

    /// <summary>
    /// Finishes (done, with <paramref name="outcome"/>) the pending deliveries of <paramref name="eventName"/> for the
    /// pull request with <paramref name="afterId"/> &lt; id ≤ <paramref name="upToId"/>: the work of one delivery
    /// covered them. Returns how many.
    /// </summary>
    Task<int> CoalesceDeliveriesAsync(string repository, int pullRequest, string eventName, long afterId, long upToId, string outcome, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// Takes up to <see cref="ModelCallReservation.Wanted"/> model calls from both hourly budgets (the repository's
    /// and the author's) in one transaction; grants the least either had left (0..Wanted).
    /// </summary>
    Task<ModelCallGrant> ReserveModelCallsAsync(ModelCallReservation reservation, CancellationToken ct);

    /// <summary>Gives calls that were reserved but not made back to both budgets of the reservation's window.</summary>
    Task ReturnModelCallsAsync(ModelCallReservation reservation, int calls, CancellationToken ct);
}
