namespace CriticBot.GitHub;

// Wire types: the JSON shapes of the calls Octokit's own models do not cover (review comments with line/side, check-run output,
// contents). Octokit's serializer maps PascalCase to snake_case and leaves null properties out.

internal sealed class CreateReviewRequest
{
    public string CommitId { get; set; } = "";
    public string Body { get; set; } = "";
    public string Event { get; set; } = "COMMENT";
    public List<ReviewCommentRequest> Comments { get; set; } = [];
}

internal sealed class ReviewCommentRequest
{
    public string Path { get; set; } = "";
    public int Line { get; set; }
    public string Side { get; set; } = "RIGHT";
    public int? StartLine { get; set; }
    public string? StartSide { get; set; }
    public string Body { get; set; } = "";
}

internal sealed class ReviewResponse
{
    public long Id { get; set; }
}

internal sealed class ReviewCommentResponse
{
    public long Id { get; set; }
    public long? PullRequestReviewId { get; set; }
    public string Path { get; set; } = "";
    public int? Line { get; set; }
    public string? Side { get; set; }
    public int? StartLine { get; set; }
    public string? StartSide { get; set; }
    public string Body { get; set; } = "";
    public string? CommitId { get; set; }
}

internal sealed class ChangedFileResponse
{
    public string Filename { get; set; } = "";
    public string Status { get; set; } = "";
    public string? PreviousFilename { get; set; }
    public string? Patch { get; set; }
    public int Additions { get; set; }
    public int Deletions { get; set; }
}

internal sealed class CompareResponse
{
    public List<ChangedFileResponse>? Files { get; set; }
}

internal sealed class ContentResponse
{
    public string? Type { get; set; }
    public string? Encoding { get; set; }
    public string? Content { get; set; }
}

internal sealed class PermissionResponse
{
    public string? Permission { get; set; }
    public string? RoleName { get; set; }
}

internal sealed class CheckRunRequest
{
    public string? Name { get; set; }
    public string? HeadSha { get; set; }
    public string? Status { get; set; }
    public string? Conclusion { get; set; }
    public CheckRunOutput? Output { get; set; }
}

internal sealed class CheckRunOutput
{
    public string Title { get; set; } = "";
    public string Summary { get; set; } = "";
    public string? Text { get; set; }
}

internal sealed class CheckRunResponse
{
    public long Id { get; set; }
}

internal sealed class CheckRunListResponse
{
    public int TotalCount { get; set; }
    public List<ListedCheckRun> CheckRuns { get; set; } = [];
}

internal sealed class ListedCheckRun
{
    public long Id { get; set; }
    public string? Status { get; set; }
}
