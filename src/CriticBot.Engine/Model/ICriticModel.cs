namespace CriticBot.Engine.Model;

/// <summary>One chat completion the critic asks for.</summary>
public sealed record ModelRequest
{
    public required string SystemPrompt { get; init; }
    public required string UserPrompt { get; init; }
    public float Temperature { get; init; } = 0.8f;
    public int MaxOutputTokens { get; init; } = 2048;

    /// <summary>Ask for the critique JSON schema as the response format where the server supports it.</summary>
    public bool UseJsonSchema { get; init; } = true;

    /// <summary>
    /// Who the call is for (in the service, the GitHub installation): a shared cap on model calls takes turns
    /// between tenants, so one cannot starve the others. Never sent to the model.
    /// </summary>
    public string? Tenant { get; init; }
}

/// <summary>What came back: the raw text, never trusted, and the token usage.</summary>
public sealed record ModelAnswer
{
    public required string Text { get; init; }
    public int PromptTokens { get; init; }

    /// <summary>Of <see cref="PromptTokens"/>, those the server served from its prompt cache (0 when it does not say).</summary>
    public int CachedPromptTokens { get; init; }

    public int CompletionTokens { get; init; }

    /// <summary>"stop", "length" (cut off), "content_filter", ...</summary>
    public string? FinishReason { get; init; }

    /// <summary>The model the server says answered (it may name a dated snapshot); null when it does not say.</summary>
    public string? Model { get; init; }
}

/// <summary>The seam between the critic and a chat model. The engine only ever calls this.</summary>
public interface ICriticModel
{
    /// <exception cref="ModelUnavailableException">The model cannot be reached or refuses the key.</exception>
    Task<ModelAnswer> CompleteAsync(ModelRequest request, CancellationToken cancellationToken);
}

/// <summary>The model cannot be reached, or refuses the credentials: no sample can succeed.</summary>
public sealed class ModelUnavailableException : Exception
{
    public ModelUnavailableException() { }
    public ModelUnavailableException(string message) : base(message) { }
    public ModelUnavailableException(string message, Exception innerException) : base(message, innerException) { }
}
