using System.Globalization;
using System.Text;

namespace CriticBot.Engine.Model;

/// <summary>Which JSON field carries the output-token limit.</summary>
/// <remarks>
/// OpenAI .NET 2.x sends <c>max_completion_tokens</c>; OpenAI's reasoning models refuse the older
/// <c>max_tokens</c>, while some local servers (older llama.cpp and Ollama builds) read only <c>max_tokens</c>.
/// </remarks>
public enum MaxTokensParameter
{
    /// <summary><see cref="MaxCompletionTokens"/> for OpenAI and Azure OpenAI hosts, <see cref="Both"/> elsewhere.</summary>
    Auto,

    /// <summary>Only <c>max_completion_tokens</c> (what the OpenAI client sends by itself).</summary>
    MaxCompletionTokens,

    /// <summary>Only the legacy <c>max_tokens</c>.</summary>
    MaxTokens,

    /// <summary>Both fields with the same value: local servers read whichever they know.</summary>
    Both,
}

/// <summary>How to reach an OpenAI-compatible chat-completions endpoint.</summary>
public sealed record ModelOptions
{
    /// <summary>
    /// The model used when <c>CRITICBOT_MODEL</c> is not set: cheap, good at code, honours a sampling
    /// temperature (reasoning models do not) and supports <c>json_schema</c> response formats.
    /// </summary>
    public const string DefaultModel = "gpt-4.1-mini";

    /// <summary>Sent as the key to a server at <see cref="BaseUrl"/> when none is configured: local servers ignore it.</summary>
    public const string PlaceholderApiKey = "criticbot-no-key";

    public const string ApiKeyVariable = "OPENAI_API_KEY";
    public const string BaseUrlVariable = "OPENAI_BASE_URL";
    public const string ModelVariable = "CRITICBOT_MODEL";
    public const string TimeoutVariable = "CRITICBOT_MODEL_TIMEOUT_SECONDS";
    public const string MaxRetriesVariable = "CRITICBOT_MODEL_MAX_RETRIES";
    public const string MaxTokensParameterVariable = "CRITICBOT_MAX_TOKENS_PARAMETER";

    /// <summary>The API key; null for local servers that need none. Never logged.</summary>
    public string? ApiKey { get; init; }

    /// <summary>The endpoint ending in <c>/v1</c> (e.g. <c>http://127.0.0.1:8000/v1</c>); null means api.openai.com.</summary>
    public Uri? BaseUrl { get; init; }

    public required string Model { get; init; }

    /// <summary>How long one HTTP attempt may take before it fails.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>Retries after the first attempt for 408, 429, 5xx and dropped connections.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>The first back-off delay when the server gives no Retry-After; doubles per retry.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest single wait, also for a server's Retry-After.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(60);

    public MaxTokensParameter MaxTokensParameter { get; init; } = MaxTokensParameter.Auto;

    /// <summary><c>CRITICBOT_ALLOW_INSECURE_HTTP=true</c>: a plain http:// <see cref="BaseUrl"/> off loopback is allowed.</summary>
    public bool AllowInsecureHttp { get; init; }

    /// <summary>A setting from the environment that could not be read; reported by <see cref="Validate"/>.</summary>
    private string? EnvironmentError { get; init; }

    /// <summary>
    /// Reads <c>OPENAI_API_KEY</c>, <c>OPENAI_BASE_URL</c>, <c>CRITICBOT_MODEL</c> (default <see cref="DefaultModel"/>),
    /// <c>CRITICBOT_MODEL_TIMEOUT_SECONDS</c>, <c>CRITICBOT_MODEL_MAX_RETRIES</c> and <c>CRITICBOT_MAX_TOKENS_PARAMETER</c>
    /// (auto, max_completion_tokens, max_tokens, both). Never throws: call <see cref="Validate"/> for problems.
    /// </summary>
    public static ModelOptions FromEnvironment(Func<string, string?> getEnv)
    {
        ArgumentNullException.ThrowIfNull(getEnv);
        string? Read(string name) => string.IsNullOrWhiteSpace(getEnv(name)) ? null : getEnv(name)!.Trim();

        string? error = null;
        Uri? baseUrl = null;
        if (Read(BaseUrlVariable) is { } baseUrlText)
        {
            if (!Uri.TryCreate(baseUrlText, UriKind.RelativeOrAbsolute, out baseUrl))
                error = $"{BaseUrlVariable} is not a URL: '{baseUrlText}'.";
        }

        var timeout = TimeSpan.FromSeconds(100);
        if (Read(TimeoutVariable) is { } timeoutText)
        {
            if (double.TryParse(timeoutText, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
                && seconds > 0 && seconds <= TimeSpan.FromDays(1).TotalSeconds)
                timeout = TimeSpan.FromSeconds(seconds);
            else
                error ??= $"{TimeoutVariable} must be a positive number of seconds, not '{timeoutText}'.";
        }

        var maxRetries = 3;
        if (Read(MaxRetriesVariable) is { } retriesText
            && !(int.TryParse(retriesText, NumberStyles.Integer, CultureInfo.InvariantCulture, out maxRetries) && maxRetries is >= 0 and <= 20))
        {
            maxRetries = 3;
            error ??= $"{MaxRetriesVariable} must be a whole number from 0 to 20, not '{retriesText}'.";
        }

        var maxTokensParameter = MaxTokensParameter.Auto;
        if (Read(MaxTokensParameterVariable) is { } parameterText)
        {
            if (ParseMaxTokensParameter(parameterText) is { } parsed)
                maxTokensParameter = parsed;
            else
                error ??= $"{MaxTokensParameterVariable} must be auto, max_completion_tokens, max_tokens or both, not '{parameterText}'.";
        }

        if (!InsecureHttp.TryReadAllow(Read(InsecureHttp.AllowVariable), out var allowInsecureHttp, out var allowError))
            error ??= allowError;

        return new ModelOptions
        {
            AllowInsecureHttp = allowInsecureHttp,
            ApiKey = Read(ApiKeyVariable),
            BaseUrl = baseUrl,
            Model = Read(ModelVariable) ?? DefaultModel,
            Timeout = timeout,
            MaxRetries = maxRetries,
            MaxTokensParameter = maxTokensParameter,
            EnvironmentError = error,
        };
    }

    /// <summary>Null when the options can be used; otherwise a one-line error naming the bad setting.</summary>
    public string? Validate()
    {
        if (EnvironmentError is not null)
            return EnvironmentError;
        if (BaseUrl is not null && !(BaseUrl.IsAbsoluteUri && (BaseUrl.Scheme == Uri.UriSchemeHttp || BaseUrl.Scheme == Uri.UriSchemeHttps)))
            return $"{BaseUrlVariable} must be an absolute http(s) URL such as http://127.0.0.1:8000/v1, not '{BaseUrl.OriginalString}'.";
        if (BaseUrl is not null && InsecureHttp.Check(BaseUrl, BaseUrlVariable, AllowInsecureHttp) is { } insecure)
            return insecure;
        if (BaseUrl is null && ApiKey is null)
            return $"{ApiKeyVariable} is not set; set it, or set {BaseUrlVariable} for a local server that needs no key.";
        if (string.IsNullOrWhiteSpace(Model))
            return $"{ModelVariable} must name a model.";
        if (Timeout <= TimeSpan.Zero)
            return $"{TimeoutVariable} must be positive.";
        if (MaxRetries < 0)
            return $"{MaxRetriesVariable} must not be negative.";
        if (RetryBaseDelay < TimeSpan.Zero || MaxRetryDelay < TimeSpan.Zero)
            return "Retry delays must not be negative.";
        return null;
    }

    /// <summary>The host the calls go to, for messages and logs (never the key).</summary>
    public string Host => BaseUrl is { IsAbsoluteUri: true } url ? url.Authority : "api.openai.com";

    /// <summary><see cref="MaxTokensParameter.Auto"/> resolved for <see cref="BaseUrl"/>.</summary>
    public MaxTokensParameter EffectiveMaxTokensParameter =>
        MaxTokensParameter != MaxTokensParameter.Auto ? MaxTokensParameter
        : IsOpenAiHosted ? MaxTokensParameter.MaxCompletionTokens
        : MaxTokensParameter.Both;

    private bool IsOpenAiHosted =>
        BaseUrl is null
        || BaseUrl.Host.Equals("api.openai.com", StringComparison.OrdinalIgnoreCase)
        || BaseUrl.Host.EndsWith(".openai.azure.com", StringComparison.OrdinalIgnoreCase);

    /// <summary>Keeps the key out of <c>ToString()</c>, so options can be logged.</summary>
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture,
            $"ApiKey = {(ApiKey is null ? "(none)" : "(set)")}, BaseUrl = {BaseUrl}, Model = {Model}, Timeout = {Timeout}, ")
            .Append(CultureInfo.InvariantCulture, $"MaxRetries = {MaxRetries}, MaxTokensParameter = {MaxTokensParameter}");
        return true;
    }

    private static MaxTokensParameter? ParseMaxTokensParameter(string text) => text.ToLowerInvariant() switch
    {
        "auto" => MaxTokensParameter.Auto,
        "max_completion_tokens" => MaxTokensParameter.MaxCompletionTokens,
        "max_tokens" => MaxTokensParameter.MaxTokens,
        "both" => MaxTokensParameter.Both,
        _ => null,
    };
}
