using CriticBot.Engine.Critic;

namespace CriticBot.Storage;

/// <summary>How a review ended and all it produced, written at once by <see cref="IResearchLog.RecordReviewOutcomeAsync"/> (see docs/research-records.md).</summary>
public sealed record ReviewOutcome
{
    public required long ReviewId { get; init; }

    /// <summary>A finished status: posted, skipped or superseded.</summary>
    public required ReviewStatus Status { get; init; }

    /// <summary>Why, for a review that was not posted.</summary>
    public string? Reason { get; init; }

    /// <summary>GitHub's id of the posted review.</summary>
    public long? GitHubReviewId { get; init; }

    public string? SummaryJson { get; init; }

    /// <summary>From the injected clock.</summary>
    public required DateTimeOffset FinishedAt { get; init; }

    public IReadOnlyList<PromptRow> Prompts { get; init; } = [];
    public IReadOnlyList<ModelCallRecord> ModelCalls { get; init; } = [];
    public IReadOnlyList<ResearchCandidateRow> Candidates { get; init; } = [];
    public IReadOnlyList<PostedCommentRow> Comments { get; init; } = [];
}

/// <summary>
/// One highlight of one sample (table <c>candidates_v2</c>): what the model said, where it was anchored, the
/// group it was merged into and the final decision. With (review, chunk, sample, attempt) it leads to its model
/// call and, through that, to the exact prompt.
/// </summary>
public sealed record ResearchCandidateRow
{
    /// <summary>The engine's candidate id: its position in the review's candidate list.</summary>
    public required int CandidateIndex { get; init; }

    public required int ChunkIndex { get; init; }
    public required int SampleIndex { get; init; }
    public required int Attempt { get; init; }

    /// <summary>Its position in the model's answer.</summary>
    public required int Position { get; init; }

    public required string PromptSha256 { get; init; }

    /// <summary>The path, line and end line as the model wrote them (untrusted).</summary>
    public required string ModelPath { get; init; }

    public int? ModelLine { get; init; }
    public int? ModelEndLine { get; init; }

    /// <summary>The anchor in the diff; null when ungrounded.</summary>
    public string? Path { get; init; }

    /// <summary>LEFT or RIGHT when grounded.</summary>
    public string? Side { get; init; }

    public int? StartLine { get; init; }
    public int? Line { get; init; }
    public required string Quote { get; init; }

    /// <summary>bug, risk or nit.</summary>
    public required string Severity { get; init; }

    /// <summary>The model's comment, raw (unsanitised).</summary>
    public required string Body { get; init; }

    /// <summary>Candidates merged as the same place share a group id (per review); null when ungrounded.</summary>
    public int? GroupId { get; init; }

    /// <summary>How many samples flagged the group; null when ungrounded.</summary>
    public int? Support { get; init; }

    public double? Score { get; init; }
    public required CandidateReason ReasonCode { get; init; }
    public required string Reason { get; init; }

    /// <summary>True for the one candidate a posted comment was made of.</summary>
    public required bool Posted { get; init; }

    /// <summary>The fingerprint of the comment made of this candidate (kept candidates), as in <c>review_comments</c>.</summary>
    public string? Fingerprint { get; init; }
}
