using System.Collections.Frozen;

namespace CriticBot.Storage;

/// <summary>What a feedback event records (stored as the lower-case words in <see cref="FeedbackStored"/>).</summary>
public enum FeedbackKind
{
    Reaction,
    ReactionRetracted,
    Reply,
    CommandGood,
    CommandNit,
    CommandWrong,
    CommandRate,
    MissedBug,
    ThreadResolved,
    ThreadUnresolved,
    Addressed,
}

/// <summary>The direction of a signal, where it has one.</summary>
public enum FeedbackValue
{
    Positive,
    Negative,
    Neutral,
}

public static class FeedbackStored
{
    public static string ToStored(this FeedbackKind kind) => kind switch
    {
        FeedbackKind.Reaction => "reaction",
        FeedbackKind.ReactionRetracted => "reaction_retracted",
        FeedbackKind.Reply => "reply",
        FeedbackKind.CommandGood => "command_good",
        FeedbackKind.CommandNit => "command_nit",
        FeedbackKind.CommandWrong => "command_wrong",
        FeedbackKind.CommandRate => "command_rate",
        FeedbackKind.MissedBug => "missed_bug",
        FeedbackKind.ThreadResolved => "thread_resolved",
        FeedbackKind.ThreadUnresolved => "thread_unresolved",
        FeedbackKind.Addressed => "addressed",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    // Read for every event an export streams: one look-up, not a walk over the enum.
    private static readonly FrozenDictionary<string, FeedbackKind> Kinds =
        Enum.GetValues<FeedbackKind>().ToFrozenDictionary(kind => kind.ToStored(), StringComparer.Ordinal);

    public static FeedbackKind ParseKind(string stored) =>
        Kinds.TryGetValue(stored, out var kind) ? kind : throw new InvalidDataException($"Unknown stored feedback kind '{stored}'.");

    public static string ToStored(this FeedbackValue value) => value switch
    {
        FeedbackValue.Positive => "positive",
        FeedbackValue.Negative => "negative",
        _ => "neutral",
    };

    public static FeedbackValue? ParseValue(string? stored) => stored switch
    {
        null => null,
        "positive" => FeedbackValue.Positive,
        "negative" => FeedbackValue.Negative,
        "neutral" => FeedbackValue.Neutral,
        _ => throw new InvalidDataException($"Unknown stored feedback value '{stored}'."),
    };
}

/// <summary>
/// One signal, appended once: <see cref="SourceKey"/> names the signal (a delivery's comment id, a reaction id and
/// whether it came or went), so the same signal seen again (a redelivery, a replica polling too) adds nothing.
/// </summary>
public sealed record FeedbackEvent
{
    public required string SourceKey { get; init; }
    public required string Repository { get; init; }
    public required int PullRequest { get; init; }
    public required FeedbackKind Kind { get; init; }
    public FeedbackValue? Value { get; init; }

    /// <summary>1..7 for <see cref="FeedbackKind.CommandRate"/>.</summary>
    public int? Rating { get; init; }

    /// <summary>The reaction's content (+1, heart, ...) or the command as written.</summary>
    public string? Content { get; init; }

    /// <summary>A reply's text or a missed bug's description (untrusted).</summary>
    public string? Text { get; init; }

    public string? RaterLogin { get; init; }

    /// <summary>admin, maintain, write, triage, read or none, as GitHub said when the signal was recorded.</summary>
    public string? RaterPermission { get; init; }

    public bool? RaterIsAuthor { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }

    /// <summary>The posted comment (→ review_comments (review_id, fingerprint)); null when not known.</summary>
    public long? ReviewId { get; init; }

    public string? Fingerprint { get; init; }
    public long? GitHubCommentId { get; init; }
    public long? GitHubReplyId { get; init; }
    public long? GitHubReactionId { get; init; }
    public string? GitHubThreadId { get; init; }
    public string? HeadSha { get; init; }
    public string? Path { get; init; }
    public int? Line { get; init; }

    /// <summary>For a missed bug: the reviewed chunk nearest its line (→ model_calls.chunk_index of <see cref="ReviewId"/>).</summary>
    public int? ChunkIndex { get; init; }
}

/// <summary>A stored event with its link to the candidate the comment was made of (null where not known).</summary>
public sealed record FeedbackEventRecord
{
    public required long Id { get; init; }
    public required FeedbackEvent Event { get; init; }
    public required DateTimeOffset RecordedAt { get; init; }
    public int? CandidateIndex { get; init; }
    public int? GroupId { get; init; }
    public int? SampleIndex { get; init; }
    public string? PromptSha256 { get; init; }
    public string? Severity { get; init; }
}

/// <summary>A comment the bot posted, as the feedback side needs it.</summary>
public sealed record PostedCommentRef
{
    public required long ReviewId { get; init; }
    public required string Repository { get; init; }
    public required int PullRequest { get; init; }
    public required string HeadSha { get; init; }
    public required string Fingerprint { get; init; }
    public long? GitHubCommentId { get; init; }
    public required string Path { get; init; }
    public required int Line { get; init; }
    public int? StartLine { get; init; }
    public required string Side { get; init; }
    public required string Quote { get; init; }
}

/// <summary>A pull request's reaction poll, claimed by one replica at a time.</summary>
public sealed record FeedbackPoll
{
    public required string Repository { get; init; }
    public required int PullRequest { get; init; }
    public required long InstallationId { get; init; }
    public string? AuthorLogin { get; init; }
    public DateTimeOffset? ClosedAt { get; init; }
    public string? ETag { get; init; }
}

/// <summary>What the poller remembers of one comment: its reaction counts and the reactions behind them.</summary>
public sealed record CommentReactionState(string Counts, IReadOnlyList<SeenReaction> Reactions);

public sealed record SeenReaction(long Id, string Login, string Content);

/// <summary>One posted comment with what stats need.</summary>
public sealed record CommentForStats
{
    public required string Repository { get; init; }
    public required long ReviewId { get; init; }
    public required string Fingerprint { get; init; }
    public required string Severity { get; init; }
    public string? SummaryJson { get; init; }
    public required DateTimeOffset PostedAt { get; init; }
}
