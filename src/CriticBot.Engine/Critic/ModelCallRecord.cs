namespace CriticBot.Engine.Critic;

/// <summary>What became of one model call.</summary>
public enum ModelCallOutcome
{
    /// <summary>The answer parsed as a critique; its highlights are the sample's candidates.</summary>
    Parsed,

    /// <summary>An answer came back but did not parse (asked once more, if it was the first).</summary>
    Unparseable,

    /// <summary>The call itself failed after the client's retries (server error, timeout).</summary>
    Failed,
}

/// <summary>
/// One chat completion exactly as it happened: the raw material for research. The prompt is referenced by its
/// content hash (<see cref="PromptRecord.Sha256"/>), the completion kept verbatim and never trusted.
/// </summary>
public sealed record ModelCallRecord
{
    public required int ChunkIndex { get; init; }
    public required int SampleIndex { get; init; }

    /// <summary>0 for the sample's first call, 1 for the retry of an answer that did not parse.</summary>
    public required int Attempt { get; init; }

    /// <summary>The chunk's prompt (system and user) by content hash.</summary>
    public required string PromptSha256 { get; init; }

    /// <summary>The model the server says answered; null when the call failed or the server did not say.</summary>
    public string? Model { get; init; }

    public required float Temperature { get; init; }
    public required int MaxOutputTokens { get; init; }
    public int PromptTokens { get; init; }

    /// <summary>Of the prompt tokens, those served from the provider's prompt cache.</summary>
    public int CachedPromptTokens { get; init; }

    public int CompletionTokens { get; init; }

    /// <summary>When the call left the review's own queue (the engine's clock).</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>From <see cref="StartedAt"/> to the answer or the failure, on the engine's clock.</summary>
    public required TimeSpan Latency { get; init; }

    public string? FinishReason { get; init; }

    /// <summary>The raw completion text; null when the call failed.</summary>
    public string? Completion { get; init; }

    public required ModelCallOutcome Outcome { get; init; }

    /// <summary>Why the answer did not parse or the call failed; null when parsed.</summary>
    public string? Error { get; init; }
}
