namespace CriticBot.Testing.FakeModel;

/// <summary>What the fake model answers to one request.</summary>
public sealed record FakeReply
{
    /// <summary>The assistant message content; null sends <c>"content": null</c>.</summary>
    public string? Content { get; init; }

    /// <summary>Sent as is (null too), so tests may also send values the client does not know.</summary>
    public string? FinishReason { get; init; } = "stop";

    /// <summary>Overrides the usage computed from text lengths.</summary>
    public int? PromptTokens { get; init; }

    /// <summary>Overrides the usage computed from text lengths.</summary>
    public int? CompletionTokens { get; init; }

    /// <summary>When set, sent as <c>usage.prompt_tokens_details.cached_tokens</c> (as OpenAI reports its prompt cache).</summary>
    public int? CachedPromptTokens { get; init; }

    public static FakeReply Text(string content) => new() { Content = content };

    /// <summary>The first <paramref name="keepChars"/> characters with finish_reason "length", as when max tokens run out.</summary>
    public static FakeReply Truncated(string content, int keepChars) => new()
    {
        Content = content[..Math.Clamp(keepChars, 0, content.Length)],
        FinishReason = "length",
    };

    public static FakeReply Empty() => new() { Content = "" };

    public static FakeReply NullContent() => new() { Content = null };

    /// <summary>A rough token count (4 characters a token, at least 1 for non-empty text), stable across runs.</summary>
    public static int EstimateTokens(string? text) => string.IsNullOrEmpty(text) ? 0 : (text.Length + 3) / 4;
}
