namespace CriticBot.Storage;

/// <summary>Where a delivery is in the inbox; stored as the lower-case names in <see cref="StoredStatus"/>.</summary>
public enum DeliveryStatus
{
    Pending,
    Processing,
    Done,
    Failed,

    /// <summary>An event or action CriticBot does not handle: kept for the record, never queued.</summary>
    Ignored,
}

/// <summary>Where a review of one head is; stored as the names in <see cref="StoredStatus"/>.</summary>
public enum ReviewStatus
{
    InProgress,
    Posted,
    Superseded,
    Skipped,
    Failed,
}

/// <summary>
/// The strings the database holds for each status (a contract with existing databases and with the SQL, which
/// names them in its conditions): never rename one.
/// </summary>
public static class StoredStatus
{
    public static string ToStored(this DeliveryStatus status) => status switch
    {
        DeliveryStatus.Pending => "pending",
        DeliveryStatus.Processing => "processing",
        DeliveryStatus.Done => "done",
        DeliveryStatus.Failed => "failed",
        DeliveryStatus.Ignored => "ignored",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown delivery status."),
    };

    public static string ToStored(this ReviewStatus status) => status switch
    {
        ReviewStatus.InProgress => "in_progress",
        ReviewStatus.Posted => "posted",
        ReviewStatus.Superseded => "superseded",
        ReviewStatus.Skipped => "skipped",
        ReviewStatus.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown review status."),
    };

    public static DeliveryStatus ParseDelivery(string stored) => stored switch
    {
        "pending" => DeliveryStatus.Pending,
        "processing" => DeliveryStatus.Processing,
        "done" => DeliveryStatus.Done,
        "failed" => DeliveryStatus.Failed,
        "ignored" => DeliveryStatus.Ignored,
        _ => throw new InvalidDataException($"Unknown stored delivery status '{stored}'."),
    };

    public static ReviewStatus ParseReview(string stored) => stored switch
    {
        "in_progress" => ReviewStatus.InProgress,
        "posted" => ReviewStatus.Posted,
        "superseded" => ReviewStatus.Superseded,
        "skipped" => ReviewStatus.Skipped,
        "failed" => ReviewStatus.Failed,
        _ => throw new InvalidDataException($"Unknown stored review status '{stored}'."),
    };

    /// <summary>True for every status but in_progress: the review will not change again.</summary>
    public static bool IsFinished(this ReviewStatus status) => status != ReviewStatus.InProgress;
}

/// <summary>A verified webhook delivery as received; <see cref="Body"/> is the raw request body.</summary>
public sealed record NewDelivery
{
    public required string DeliveryId { get; init; }
    public required string Event { get; init; }
    public string? Action { get; init; }
    public long? InstallationId { get; init; }
    public string? RepositoryFullName { get; init; }

    /// <summary>The pull request the delivery concerns, if any: deliveries of one PR are processed in order.</summary>
    public int? PullRequest { get; init; }

    public required ReadOnlyMemory<byte> Body { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }

    /// <summary>True stores the delivery as <see cref="DeliveryStatus.Ignored"/> instead of queueing it.</summary>
    public bool Ignored { get; init; }

    /// <summary>
    /// Set: the delivery is stored as <see cref="DeliveryStatus.Failed"/> with this reason, never queued (a signed
    /// body that cannot be read is kept all the same: nothing signed is lost).
    /// </summary>
    public string? FailedBecause { get; init; }
}

/// <summary>
/// A delivery claimed by a worker and handed to the inbox's handler; <see cref="Attempt"/> counts this claim
/// (1 on the first).
/// </summary>
public sealed record ClaimedDelivery
{
    /// <summary>The store's row id.</summary>
    public required long Id { get; init; }

    /// <summary>GitHub's X-GitHub-Delivery.</summary>
    public required string DeliveryId { get; init; }

    public required string Event { get; init; }
    public string? Action { get; init; }
    public long? InstallationId { get; init; }
    public string? RepositoryFullName { get; init; }
    public int? PullRequest { get; init; }

    /// <summary>The raw JSON body exactly as GitHub sent it.</summary>
    public required string Body { get; init; }
    public required int Attempt { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
}

public sealed record DeliveryRecord
{
    public required long Id { get; init; }
    public required string DeliveryId { get; init; }
    public required string Event { get; init; }
    public string? Action { get; init; }
    public long? InstallationId { get; init; }
    public string? RepositoryFullName { get; init; }
    public int? PullRequest { get; init; }
    public required DeliveryStatus Status { get; init; }
    public required int Attempts { get; init; }
    public string? LastError { get; init; }
    public string? Outcome { get; init; }
    public string? ClaimedBy { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
}

public sealed record InstallationRecord(long InstallationId, string Account, string LastAction, DateTimeOffset UpdatedAt);

public sealed record ReviewKey(string Repository, int PullRequest, string HeadSha);

/// <summary>The answer to "may I review this head?".</summary>
public abstract record ReviewClaim
{
    private ReviewClaim()
    {
    }

    /// <summary>Yours: a new row, or an in_progress row whose holder's lease expired (same row id).</summary>
    public sealed record Claimed(long ReviewId) : ReviewClaim;

    /// <summary>Finished earlier with this status (posted, superseded, skipped, failed).</summary>
    public sealed record AlreadyDone(ReviewStatus Status) : ReviewClaim;

    /// <summary>Another live worker holds it.</summary>
    public sealed record Busy(string HeldBy, DateTimeOffset LeaseUntil) : ReviewClaim;
}

public sealed record ReviewRecord
{
    public required long Id { get; init; }
    public required ReviewKey Key { get; init; }
    public required string BaseSha { get; init; }
    public required ReviewStatus Status { get; init; }
    public string? Reason { get; init; }
    public long? GitHubReviewId { get; init; }
    public string? SummaryJson { get; init; }
    public required int Attempts { get; init; }
}

/// <summary>One sampled critique highlight, kept whether or not it was posted.</summary>
public sealed record CandidateRow
{
    public required int ChunkIndex { get; init; }
    public required int SampleIndex { get; init; }
    public required string PromptSha256 { get; init; }
    public string? Path { get; init; }

    /// <summary>LEFT or RIGHT when grounded.</summary>
    public string? Side { get; init; }

    public int? Line { get; init; }
    public int? StartLine { get; init; }
    public required string Quote { get; init; }
    public string? Severity { get; init; }
    public required string Body { get; init; }
    public double? Score { get; init; }
    public int? Support { get; init; }

    /// <summary>What selection decided, e.g. kept, merged, below_threshold, ungrounded.</summary>
    public required string Decision { get; init; }

    public string? Reason { get; init; }
    public required bool Posted { get; init; }
}

public sealed record PromptRow(string Sha256, string System, string User);

public sealed record PostedCommentRow
{
    /// <summary>GitHub's id of the inline comment (never 0); null when GitHub would not anchor it and it went into the review body.</summary>
    public required long? GitHubCommentId { get; init; }
    public required string Path { get; init; }
    public required int Line { get; init; }
    public required string Side { get; init; }
    public int? StartLine { get; init; }
    public required string Quote { get; init; }
    public required string Body { get; init; }
    public required string Fingerprint { get; init; }

    /// <summary>The highlight group (see <see cref="ResearchCandidateRow.GroupId"/>) the comment was made of; null when recovered from GitHub.</summary>
    public int? GroupId { get; init; }

    public CommentPlacement Placement { get; init; } = CommentPlacement.Inline;
}

/// <summary>Where a posted comment went.</summary>
public enum CommentPlacement
{
    /// <summary>A line comment of the review (its id is null only when GitHub's list of them could not be read).</summary>
    Inline,

    /// <summary>GitHub would not anchor it: written into the review body, so it has no comment id.</summary>
    ReviewBody,
}
