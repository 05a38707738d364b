namespace CriticBot.Testing.GitHub;

/// <summary>One file of a pull request or a comparison, as GitHub lists it.</summary>
public sealed record SimulatedFile
{
    public required string Filename { get; init; }

    /// <summary>added, removed, modified, renamed, copied, changed or unchanged.</summary>
    public string Status { get; init; } = "modified";

    /// <summary>The hunks of the file; null for binary files or patches GitHub finds too large.</summary>
    public string? Patch { get; init; }

    public string? PreviousFilename { get; init; }
    public int Additions { get; init; }
    public int Deletions { get; init; }

    /// <summary>A file with <paramref name="patch"/>, its additions and deletions counted from the patch.</summary>
    public static SimulatedFile WithPatch(string filename, string patch, string status = "modified", string? previousFilename = null)
    {
        var lines = patch.Split('\n');
        return new SimulatedFile
        {
            Filename = filename,
            Status = status,
            Patch = patch,
            PreviousFilename = previousFilename,
            Additions = lines.Count(l => l.StartsWith('+')),
            Deletions = lines.Count(l => l.StartsWith('-')),
        };
    }
}

/// <summary>A review the simulator accepted.</summary>
public sealed record SimulatedReview
{
    public required long Id { get; init; }
    public required string Repository { get; init; }
    public required int PullNumber { get; init; }
    public required string CommitId { get; init; }
    public required string Body { get; init; }
    public required string Event { get; init; }
    public required string State { get; init; }
    public required string UserLogin { get; init; }
    public required IReadOnlyList<SimulatedReviewComment> Comments { get; init; }
}

public sealed record SimulatedReviewComment
{
    public required long Id { get; init; }
    public required long ReviewId { get; init; }
    public required string Path { get; init; }
    public required int Line { get; init; }
    public required string Side { get; init; }
    public int? StartLine { get; init; }
    public string? StartSide { get; init; }
    public required string Body { get; init; }
    public required string CommitId { get; init; }

    /// <summary>Who wrote it when not the review's author (replies).</summary>
    public string? UserLogin { get; init; }

    /// <summary>The thread's first comment, for a reply.</summary>
    public long? InReplyToId { get; init; }
}

/// <summary>A reaction on a comment.</summary>
public sealed record SimulatedReaction
{
    public required long Id { get; init; }
    public required long CommentId { get; init; }
    public required string Login { get; init; }
    public required string Content { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A comment on a pull request's conversation.</summary>
public sealed record SimulatedIssueComment
{
    public required long Id { get; init; }
    public required string Login { get; init; }
    public required string Body { get; init; }
}

public sealed record SimulatedCheckRun
{
    public required long Id { get; init; }

    /// <summary>The App whose installation token created the run.</summary>
    public long? AppId { get; init; }

    public required string Repository { get; init; }
    public required string Name { get; init; }
    public required string HeadSha { get; init; }
    public string Status { get; init; } = "queued";
    public string? Conclusion { get; init; }
    public string? Title { get; init; }
    public string? Summary { get; init; }
    public string? Text { get; init; }
}

/// <summary>One request the simulator answered. Credentials are never kept, only their scheme.</summary>
public sealed record RecordedRequest
{
    public required string Method { get; init; }

    /// <summary>The path below the API root (no <c>/api/v3</c> prefix).</summary>
    public required string Path { get; init; }

    /// <summary><c>/api/v3</c> when the client used the Enterprise Server prefix, else empty.</summary>
    public required string PathBase { get; init; }

    public required string Query { get; init; }
    public required int Status { get; init; }
    public string? AuthorizationScheme { get; init; }
    public string? UserAgent { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
}

/// <summary>Installation permissions as GitHub names them (e.g. <c>checks: write</c>).</summary>
public static class SimulatedPermissions
{
    public static IReadOnlyDictionary<string, string> Default { get; } = new Dictionary<string, string>
    {
        ["metadata"] = "read",
        ["contents"] = "read",
        ["pull_requests"] = "write",
        ["checks"] = "write",
    };

    public static IReadOnlyDictionary<string, string> WithoutChecks { get; } = new Dictionary<string, string>
    {
        ["metadata"] = "read",
        ["contents"] = "read",
        ["pull_requests"] = "write",
    };
}
