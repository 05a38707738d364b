using CriticBot.Engine.Chunking;
using CriticBot.Engine.Diff;
using CriticBot.Engine.Grounding;
using CriticBot.Engine.Prompting;
using CriticBot.Engine.Selection;

namespace CriticBot.Engine.Critic;

/// <summary>One comment ready to post: anchored where its quote is, body sanitised.</summary>
public sealed record ReviewComment
{
    public required string Path { get; init; }

    /// <summary>The last line of the range (GitHub's <c>line</c>).</summary>
    public required int Line { get; init; }

    public required DiffSide Side { get; init; }

    /// <summary>The first line of a multi-line comment; null for a one-line comment.</summary>
    public int? StartLine { get; init; }

    /// <summary>The code the comment is about, verbatim from the model's quote (mentions neutralised).</summary>
    public required string Quote { get; init; }

    public required Severity Severity { get; init; }

    /// <summary>The comment in Markdown, sanitised for posting.</summary>
    public required string Body { get; init; }

    public required double Score { get; init; }

    /// <summary>How many samples flagged this place.</summary>
    public required int Support { get; init; }

    /// <summary>The highlight group this comment stands for (see <see cref="CandidateRecord.GroupId"/>).</summary>
    public int GroupId { get; init; }
}

public sealed record DroppedCounts
{
    public int Ungrounded { get; init; }
    public int BelowThreshold { get; init; }
    public int Duplicates { get; init; }
    public int OverLimit { get; init; }
}

public sealed record ReviewUsage
{
    public int Calls { get; init; }
    public int PromptTokens { get; init; }
    public int CompletionTokens { get; init; }

    /// <summary>Samples that gave nothing usable (a failed call, or two answers that did not parse).</summary>
    public int FailedSamples { get; init; }
}

/// <summary>A sample that gave nothing usable, and why.</summary>
public sealed record SampleFailure(int ChunkIndex, int SampleIndex, string Error);

/// <summary>The exact prompt one chunk was reviewed with.</summary>
public sealed record PromptRecord(int ChunkIndex, ChatPrompt Prompt)
{
    public string Sha256 => Prompt.Sha256;
}

/// <summary>
/// Every highlight of every sample, with what became of it: the raw material for evaluation and for
/// exporting preference data.
/// </summary>
public sealed record CandidateRecord
{
    public required int Id { get; init; }
    public required int ChunkIndex { get; init; }
    public required int SampleIndex { get; init; }
    public required RawHighlight Raw { get; init; }

    /// <summary>Where the quote was found; null when ungrounded.</summary>
    public Anchor? Anchor { get; init; }

    public int? GroupId { get; init; }

    /// <summary>The score of the candidate's group; null when ungrounded.</summary>
    public double? Score { get; init; }

    public required CandidateDecision Decision { get; init; }
    public required string Reason { get; init; }
}

public sealed record CritiqueResult
{
    /// <summary>Comments to post, best first.</summary>
    public required IReadOnlyList<ReviewComment> Comments { get; init; }

    public required DroppedCounts Dropped { get; init; }
    public required IReadOnlyList<SkippedFile> SkippedFiles { get; init; }

    /// <summary>What the chunker had to cut to fit the budget, in words.</summary>
    public required IReadOnlyList<string> Truncations { get; init; }

    public required ReviewUsage Usage { get; init; }
    public required IReadOnlyList<CandidateRecord> Candidates { get; init; }
    public required IReadOnlyList<PromptRecord> Prompts { get; init; }
    public required IReadOnlyList<SampleFailure> SampleFailures { get; init; }
}
