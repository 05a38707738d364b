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

    /// <summary>Of <see cref="PromptTokens"/>, those the provider served from its prompt cache.</summary>
    public int CachedPromptTokens { get; init; }

    public int CompletionTokens { get; init; }

    /// <summary>Samples that gave nothing usable (a failed call, or two answers that did not parse).</summary>
    public int FailedSamples { get; init; }

    /// <summary>
    /// Before sending: the estimated prompt tokens at the configured model's uncached input price, in US dollars
    /// (completion tokens are not known yet); null when that model has no price (<see cref="Model.ModelPrices"/>).
    /// </summary>
    public decimal? EstimatedCostUsd { get; init; }

    /// <summary>
    /// After the answers: every call's uncached prompt, cached prompt and completion tokens at their own prices, in
    /// US dollars; null when a model that answered has no price.
    /// </summary>
    public decimal? CostUsd { get; init; }
}

/// <summary>A sample that gave nothing usable, and why.</summary>
public sealed record SampleFailure(int ChunkIndex, int SampleIndex, string Error);

/// <summary>The exact prompt one chunk was reviewed with.</summary>
public sealed record PromptRecord(int ChunkIndex, ChatPrompt Prompt)
{
    public string Sha256 => Prompt.Sha256;
}

/// <summary>
/// Why a candidate highlight was or was not posted, as a stable code (stored and exported by its
/// <see cref="CandidateReasons.WireName"/>). The engine decides the first nine; the service, which knows what
/// is already on the pull request, may turn a kept candidate into <see cref="AlreadyPosted"/> or
/// <see cref="NotAnchorable"/>.
/// </summary>
public enum CandidateReason
{
    /// <summary>Its group's comment was posted, made of this candidate.</summary>
    Kept,

    /// <summary>The file it names is not in the reviewed diff.</summary>
    FileNotInDiff,

    /// <summary>The quote has too few non-space characters to mean anything.</summary>
    QuoteTooShort,

    /// <summary>The quote is not in the diff of its file.</summary>
    QuoteNotFound,

    /// <summary>The quote runs across two hunks (the lines between are not in the diff).</summary>
    CrossesHunk,

    /// <summary>Found, but GitHub does not take a comment on those lines.</summary>
    NotCommentable,

    /// <summary>Merged into a group whose comment is made of another member.</summary>
    Duplicate,

    /// <summary>The group's score is below the precision.</summary>
    BelowThreshold,

    /// <summary>Scored high enough, but higher-ranked comments filled the limit.</summary>
    OverLimit,

    /// <summary>The same comment (fingerprint) was already posted on the pull request.</summary>
    AlreadyPosted,

    /// <summary>Not on lines the pull request's own diff lets GitHub anchor (an incremental review's compare diff).</summary>
    NotAnchorable,
}

public static class CandidateReasons
{
    /// <summary>The stored snake_case name: kept, file_not_in_diff, quote_too_short, ... Never renamed.</summary>
    public static string WireName(this CandidateReason reason) => reason switch
    {
        CandidateReason.Kept => "kept",
        CandidateReason.FileNotInDiff => "file_not_in_diff",
        CandidateReason.QuoteTooShort => "quote_too_short",
        CandidateReason.QuoteNotFound => "quote_not_found",
        CandidateReason.CrossesHunk => "crosses_hunk",
        CandidateReason.NotCommentable => "not_commentable",
        CandidateReason.Duplicate => "duplicate",
        CandidateReason.BelowThreshold => "below_threshold",
        CandidateReason.OverLimit => "over_limit",
        CandidateReason.AlreadyPosted => "already_posted",
        CandidateReason.NotAnchorable => "not_anchorable",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, null),
    };

    /// <summary>Null for a name this version does not know.</summary>
    public static CandidateReason? FromWireName(string name) =>
        Enum.GetValues<CandidateReason>().Cast<CandidateReason?>().FirstOrDefault(r => r!.Value.WireName() == name);

    internal static CandidateReason Of(GroundingFailure failure) => failure switch
    {
        GroundingFailure.FileNotInDiff => CandidateReason.FileNotInDiff,
        GroundingFailure.QuoteTooShort => CandidateReason.QuoteTooShort,
        GroundingFailure.CrossesHunk => CandidateReason.CrossesHunk,
        GroundingFailure.NotCommentable => CandidateReason.NotCommentable,
        _ => CandidateReason.QuoteNotFound,
    };

    internal static CandidateReason Of(CandidateDecision decision) => decision switch
    {
        CandidateDecision.Kept => CandidateReason.Kept,
        CandidateDecision.Duplicate => CandidateReason.Duplicate,
        CandidateDecision.BelowThreshold => CandidateReason.BelowThreshold,
        CandidateDecision.OverLimit => CandidateReason.OverLimit,
        _ => CandidateReason.QuoteNotFound,
    };
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

    /// <summary>The call of the sample whose answer held this highlight (see <see cref="ModelCallRecord.Attempt"/>).</summary>
    public int Attempt { get; init; }

    /// <summary>Its position in that answer's highlights.</summary>
    public int Position { get; init; }

    public required RawHighlight Raw { get; init; }

    /// <summary>Where the quote was found; null when ungrounded.</summary>
    public Anchor? Anchor { get; init; }

    /// <summary>Candidates merged as the same place share this id; null when ungrounded.</summary>
    public int? GroupId { get; init; }

    /// <summary>How many distinct samples flagged the candidate's group; null when ungrounded.</summary>
    public int? Support { get; init; }

    /// <summary>The score of the candidate's group; null when ungrounded.</summary>
    public double? Score { get; init; }

    public required CandidateDecision Decision { get; init; }

    /// <summary>The decision as a precise, stable code.</summary>
    public required CandidateReason ReasonCode { get; init; }

    /// <summary>The decision in words.</summary>
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

    /// <summary>Every model call, ordered by chunk, sample and attempt.</summary>
    public IReadOnlyList<ModelCallRecord> ModelCalls { get; init; } = [];

    /// <summary>Per chunk, in chunk order: how many samples were drawn and why no more (adaptive sampling).</summary>
    public IReadOnlyList<ChunkSampling> Sampling { get; init; } = [];
}
