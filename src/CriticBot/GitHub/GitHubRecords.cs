using CriticBot.Engine.Diff;

namespace CriticBot.GitHub;

// Domain records: what the pipeline knows of GitHub (pull requests, files, reviews, check runs), independent of
// the wire shapes in GitHubWireTypes.cs that the gateway maps them from and to.

public sealed record PullRequestInfo
{
    public required int Number { get; init; }
    public required string HeadSha { get; init; }
    public required string HeadRef { get; init; }
    public required string BaseSha { get; init; }
    public required string BaseRef { get; init; }

    /// <summary>The base repository's default branch (base.repo.default_branch); "" when GitHub omits it.</summary>
    public string DefaultBranch { get; init; } = "";

    public required bool Draft { get; init; }

    /// <summary>open or closed.</summary>
    public required string State { get; init; }

    public required string AuthorLogin { get; init; }
    public required string Title { get; init; }
}

/// <summary>One file of a pull request or comparison, as GitHub lists it.</summary>
public sealed record ChangedFile
{
    public required string Filename { get; init; }

    /// <summary>added, removed, modified, renamed, copied, changed or unchanged.</summary>
    public required string Status { get; init; }

    public string? PreviousFilename { get; init; }

    /// <summary>The hunks; null when GitHub sends none (binary file or a patch too large).</summary>
    public string? Patch { get; init; }

    public int Additions { get; init; }
    public int Deletions { get; init; }
}

public sealed record ReviewSummary
{
    public required long Id { get; init; }
    public required string Body { get; init; }
    public string? CommitId { get; init; }
    public string? UserLogin { get; init; }

    /// <summary>COMMENTED, APPROVED, CHANGES_REQUESTED, DISMISSED or PENDING.</summary>
    public string? State { get; init; }
}

/// <summary>A review comment as GitHub lists it; <see cref="Line"/> is null when the comment is outdated.</summary>
public sealed record ReviewCommentInfo
{
    public required long Id { get; init; }
    public required string Path { get; init; }
    public int? Line { get; init; }
    public DiffSide Side { get; init; } = DiffSide.Right;
    public int? StartLine { get; init; }
    public DiffSide? StartSide { get; init; }
    public required string Body { get; init; }
    public string? CommitId { get; init; }
}

/// <summary>The one review to post for a push: its body and its line-anchored comments.</summary>
public sealed record ReviewDraft
{
    /// <summary>The head SHA the comments were anchored against.</summary>
    public required string CommitId { get; init; }

    public required string Body { get; init; }
    public IReadOnlyList<DraftComment> Comments { get; init; } = [];
}

/// <summary>
/// One comment anchored as GitHub wants it: <see cref="Line"/> on <see cref="Side"/>, and for a multi-line comment
/// <see cref="StartLine"/> (before <see cref="Line"/>, in the same hunk) on <see cref="StartSide"/>.
/// </summary>
public sealed record DraftComment
{
    public required string Path { get; init; }
    public required int Line { get; init; }
    public DiffSide Side { get; init; } = DiffSide.Right;
    public int? StartLine { get; init; }

    /// <summary>Defaults to <see cref="Side"/> when <see cref="StartLine"/> is set.</summary>
    public DiffSide? StartSide { get; init; }

    public required string Body { get; init; }

    /// <summary>The quoted code, shown in the review body if the comment has to move there.</summary>
    public string? Quote { get; init; }
}

public sealed record PostedReviewComment
{
    /// <summary>GitHub's comment id; null only when the review was posted but listing its comments failed.</summary>
    public required long? CommentId { get; init; }
    public required string Path { get; init; }
    public required int Line { get; init; }
    public required DiffSide Side { get; init; }
    public int? StartLine { get; init; }
    public DiffSide? StartSide { get; init; }

    /// <summary>The draft this comment came from.</summary>
    public required DraftComment Draft { get; init; }
}

public sealed record PublishResult
{
    public required long ReviewId { get; init; }
    public required IReadOnlyList<PostedReviewComment> Posted { get; init; }

    /// <summary>Comments GitHub would not anchor, written into the review body instead.</summary>
    public required IReadOnlyList<DraftComment> MovedToBody { get; init; }
}

/// <summary>A check run's state on GitHub.</summary>
public enum CheckRunStatus
{
    Queued,
    InProgress,
    Completed,
}

/// <summary>How a completed check run ended; CriticBot never fails a push, so it uses neutral and skipped.</summary>
public enum CheckRunConclusion
{
    Success,
    Neutral,
    Skipped,
    Failure,
}

public static class CheckRunWire
{
    public static string ToWire(this CheckRunStatus status) => status switch
    {
        CheckRunStatus.Queued => "queued",
        CheckRunStatus.InProgress => "in_progress",
        _ => "completed",
    };

    public static string ToWire(this CheckRunConclusion conclusion) => conclusion switch
    {
        CheckRunConclusion.Success => "success",
        CheckRunConclusion.Skipped => "skipped",
        CheckRunConclusion.Failure => "failure",
        _ => "neutral",
    };
}

public sealed record CheckRunDraft
{
    public required string Name { get; init; }
    public required string HeadSha { get; init; }

    public CheckRunStatus Status { get; init; } = CheckRunStatus.InProgress;

    /// <summary>Required when <see cref="Status"/> is completed.</summary>
    public CheckRunConclusion? Conclusion { get; init; }

    public string? Title { get; init; }
    public string? Summary { get; init; }
    public string? Text { get; init; }
}

public sealed record CheckRunUpdate
{
    public CheckRunStatus? Status { get; init; }
    public CheckRunConclusion? Conclusion { get; init; }
    public string? Title { get; init; }
    public string? Summary { get; init; }
    public string? Text { get; init; }
}

/// <summary>A pull-request review comment with its author and reaction counts (feedback).</summary>
public sealed record PullCommentInfo
{
    public required long Id { get; init; }
    public long? InReplyToId { get; init; }
    public required string Body { get; init; }
    public required string UserLogin { get; init; }
    public required bool UserIsBot { get; init; }
    public string? Path { get; init; }
    public int? Line { get; init; }

    /// <summary>Reaction counts as one comparable string ("+1=2,-1=0,..."); empty when GitHub sent none.</summary>
    public required string ReactionCounts { get; init; }
}

/// <summary>A conditional listing: <see cref="NotModified"/> (304) or the comments; with GitHub's rate-limit headers.</summary>
public sealed record ConditionalComments
{
    public required bool NotModified { get; init; }
    public IReadOnlyList<PullCommentInfo> Comments { get; init; } = [];
    public string? ETag { get; init; }
    public RateLimitSnapshot? RateLimit { get; init; }
}

/// <summary>x-ratelimit-limit, -remaining and -reset of a response.</summary>
public sealed record RateLimitSnapshot(int Limit, int Remaining, DateTimeOffset Reset);

public sealed record ReactionInfo
{
    public required long Id { get; init; }

    /// <summary>+1, -1, laugh, confused, heart, hooray, rocket or eyes.</summary>
    public required string Content { get; init; }

    public required string UserLogin { get; init; }
    public required bool UserIsBot { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}
