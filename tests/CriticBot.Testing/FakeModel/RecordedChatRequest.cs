namespace CriticBot.Testing.FakeModel;

/// <summary>One chat message as the server received it; array content is flattened to its text parts.</summary>
public sealed record RecordedMessage(string Role, string Content);

/// <summary>What the fake server saw in one <c>POST /v1/chat/completions</c>.</summary>
public sealed record RecordedChatRequest
{
    /// <summary>1 for the first request this server received, then 2, 3, ...</summary>
    public required int Sequence { get; init; }

    public required string RawBody { get; init; }

    /// <summary>Null when the body was JSON; otherwise why it was not.</summary>
    public string? BodyError { get; init; }

    public string? Model { get; init; }
    public IReadOnlyList<RecordedMessage> Messages { get; init; } = [];
    public double? Temperature { get; init; }

    /// <summary>The legacy <c>max_tokens</c> field, when sent.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>The <c>max_completion_tokens</c> field, when sent.</summary>
    public int? MaxCompletionTokens { get; init; }

    /// <summary><c>response_format.type</c> ("json_schema", "json_object", "text"), when sent.</summary>
    public string? ResponseFormatType { get; init; }

    /// <summary>The whole <c>response_format</c> object as JSON, when sent.</summary>
    public string? ResponseFormatJson { get; init; }

    /// <summary>Whether an <c>Authorization: Bearer ...</c> header came with the request.</summary>
    public bool HasAuthorization { get; init; }

    /// <summary>Request headers; the Authorization value is replaced by "[redacted]".</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    public string? SystemPrompt => Messages.FirstOrDefault(m => m.Role == "system")?.Content;
    public string? UserPrompt => Messages.LastOrDefault(m => m.Role == "user")?.Content;

    /// <summary>Every message's text joined: where a fake critic checks whether some code is in the prompt.</summary>
    public string AllText => string.Join("\n", Messages.Select(m => m.Content));
}
