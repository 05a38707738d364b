namespace CriticBot.Storage;

/// <summary>
/// One row per (repository, pull request, head SHA): the exactly-once claim on reviewing a head, shared by every
/// replica through the database (a lease on the row), and how each review ended.
/// </summary>
public interface IReviewLedger
{
    /// <summary>
    /// Claims the head: a new row, or an in-progress row this worker held or whose lease expired. One conditional
    /// statement on both databases, so racing replicas get one <see cref="ReviewClaim.Claimed"/> between them.
    /// </summary>
    Task<ReviewClaim> ClaimReviewAsync(ReviewKey key, string baseSha, string workerId, TimeSpan lease, DateTimeOffset now, CancellationToken ct);

    /// <summary>Marks in-progress reviews of older heads superseded; returns how many.</summary>
    Task<int> MarkSupersededAsync(string repository, int pullRequest, string exceptHeadSha, CancellationToken ct);

    Task<bool> IsSupersededAsync(long reviewId, CancellationToken ct);

    Task MarkReviewPostedAsync(long reviewId, long githubReviewId, string summaryJson, CancellationToken ct);

    /// <summary>Ends a review with a finished status (anything but <see cref="ReviewStatus.InProgress"/>).</summary>
    Task MarkReviewFinishedAsync(long reviewId, ReviewStatus status, string reason, CancellationToken ct);

    /// <summary>The head of the pull request's latest posted review, the base of an incremental review.</summary>
    Task<string?> GetLastPostedHeadAsync(string repository, int pullRequest, CancellationToken ct);

    /// <summary>
    /// Pushes the lease of a review this worker holds (while it runs, and once more just before posting, the
    /// irreversible step); false when it no longer does (superseded, finished, or taken over after the lease
    /// passed): the holder must then stop. One conditional statement.
    /// </summary>
    Task<bool> ExtendReviewLeaseAsync(long reviewId, string workerId, DateTimeOffset leaseUntil, CancellationToken ct);
}
