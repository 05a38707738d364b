namespace CriticBot.Storage;

/// <summary>
/// The durable inbox: raw webhook deliveries as received, claimed by workers of any replica one pull request at a
/// time in receipt order, and the installations they announce. Times are passed in so the caller's clock rules.
/// </summary>
public interface IDeliveryInbox
{
    /// <summary>
    /// Stores a raw webhook delivery; false when a delivery with the same id already exists. A delivery that had
    /// failed is queued again instead (true): that is GitHub's "Redeliver" button, pressed once the cause is fixed.
    /// </summary>
    Task<bool> TryAddDeliveryAsync(NewDelivery delivery, CancellationToken ct);

    /// <summary>
    /// Claims the oldest ready delivery (pending and due, or processing with an expired lease) whose pull request
    /// has no earlier unfinished delivery. Increments its attempt count. Null when nothing is ready. One
    /// conditional statement: two replicas never claim the same delivery.
    /// </summary>
    Task<ClaimedDelivery?> ClaimNextDeliveryAsync(string workerId, TimeSpan lease, DateTimeOffset now, CancellationToken ct);

    /// <summary>Pushes the lease of a delivery this worker still holds; false when the claim was lost.</summary>
    Task<bool> ExtendDeliveryLeaseAsync(long id, string workerId, DateTimeOffset leaseUntil, CancellationToken ct);

    Task CompleteDeliveryAsync(long id, string outcome, CancellationToken ct);

    Task RetryDeliveryAsync(long id, string lastError, DateTimeOffset nextAttemptAt, CancellationToken ct);

    Task FailDeliveryAsync(long id, string reason, CancellationToken ct);

    /// <summary>Returns a claimed delivery to pending without counting the attempt (graceful shutdown).</summary>
    Task ReleaseDeliveryAsync(long id, CancellationToken ct);

    /// <summary>Remembers an installation's account and the last event seen for it.</summary>
    Task RecordInstallationAsync(long installationId, string account, string action, CancellationToken ct);

    // Coalescing (issue 6 §5): deliveries that queued up for one pull request while it was handled.

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
}
