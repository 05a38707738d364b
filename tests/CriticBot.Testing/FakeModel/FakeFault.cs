namespace CriticBot.Testing.FakeModel;

public enum FakeFaultKind
{
    /// <summary>Answer with an HTTP error status and an OpenAI-style error body.</summary>
    Status,

    /// <summary>Wait, then answer normally (a slow model).</summary>
    Delay,

    /// <summary>Abort the connection without answering.</summary>
    DropConnection,
}

/// <summary>A one-shot misbehaviour, consumed by the next request before the responder runs.</summary>
public sealed record FakeFault
{
    public required FakeFaultKind Kind { get; init; }
    public int StatusCode { get; init; }
    public string ErrorMessage { get; init; } = "";
    public string ErrorType { get; init; } = "server_error";
    public string? ErrorCode { get; init; }
    public string? ErrorParam { get; init; }
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
    public TimeSpan Delay { get; init; }

    /// <summary>HTTP 429 with <c>Retry-After</c> (seconds, "0" or fractional like "0.05") and optionally <c>retry-after-ms</c>.</summary>
    public static FakeFault RateLimited(string retryAfter = "0", string? retryAfterMs = null)
    {
        var headers = new Dictionary<string, string> { ["Retry-After"] = retryAfter };
        if (retryAfterMs is not null)
            headers["retry-after-ms"] = retryAfterMs;
        return new FakeFault
        {
            Kind = FakeFaultKind.Status,
            StatusCode = 429,
            ErrorType = "requests",
            ErrorCode = "rate_limit_exceeded",
            ErrorMessage = "Rate limit reached. Please try again later.",
            Headers = headers,
        };
    }

    /// <summary>500, 502, 503 or any other status, as a server error.</summary>
    public static FakeFault ServerError(int statusCode = 500) => new()
    {
        Kind = FakeFaultKind.Status,
        StatusCode = statusCode,
        ErrorMessage = "The server had an error while processing your request.",
    };

    public static FakeFault Unauthorized() => new()
    {
        Kind = FakeFaultKind.Status,
        StatusCode = 401,
        ErrorType = "invalid_request_error",
        ErrorCode = "invalid_api_key",
        ErrorMessage = "Incorrect API key provided.",
    };

    public static FakeFault ModelNotFound(string model = "the model") => new()
    {
        Kind = FakeFaultKind.Status,
        StatusCode = 404,
        ErrorType = "invalid_request_error",
        ErrorCode = "model_not_found",
        ErrorMessage = $"The model '{model}' does not exist or you do not have access to it.",
    };

    /// <summary>HTTP 400 naming response_format, as servers without structured outputs answer.</summary>
    public static FakeFault RejectResponseFormat() => new()
    {
        Kind = FakeFaultKind.Status,
        StatusCode = 400,
        ErrorType = "invalid_request_error",
        ErrorCode = "unsupported_parameter",
        ErrorParam = "response_format",
        ErrorMessage = "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
    };

    /// <summary>Wait <paramref name="delay"/> before answering (stops early when the client hangs up).</summary>
    public static FakeFault SlowAnswer(TimeSpan delay) => new() { Kind = FakeFaultKind.Delay, Delay = delay };

    public static FakeFault DropConnection() => new() { Kind = FakeFaultKind.DropConnection };
}
