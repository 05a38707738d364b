using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenAI;
using OpenAI.Chat;

namespace CriticBot.Engine.Model;

/// <summary>
/// <see cref="ICriticModel"/> over an OpenAI-compatible chat-completions endpoint (OpenAI, Azure OpenAI's v1
/// endpoint, vLLM, Ollama, llama.cpp server) through the OpenAI .NET client. Thread-safe: one instance serves
/// all parallel samples.
/// </summary>
public sealed partial class OpenAiCriticModel : ICriticModel
{
    private static readonly BinaryData CritiqueSchemaData = BinaryData.FromString(CritiqueSchema.Json);

    // One connection pool for every instance; the pipeline's NetworkTimeout bounds each attempt, not HttpClient.
    private static readonly HttpClient SharedHttpClient = new(new FinishReasonNormalizingHandler(
        new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }))
    {
        Timeout = System.Threading.Timeout.InfiniteTimeSpan,
    };

    private readonly ModelOptions _options;
    private readonly ChatClient _client;
    private readonly ILogger _logger;

    // Set once a server rejects response_format; from then on this instance asks in the prompt alone.
    private volatile bool _responseFormatRejected;

    /// <exception cref="ArgumentException">The options fail <see cref="ModelOptions.Validate"/>.</exception>
    public OpenAiCriticModel(ModelOptions options, ILogger<OpenAiCriticModel>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is { } error)
            throw new ArgumentException(error, nameof(options));

        _options = options;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        var clientOptions = new OpenAIClientOptions
        {
            NetworkTimeout = options.Timeout,
            RetryPolicy = new ModelRetryPolicy(options, _logger),
            UserAgentApplicationId = "CriticBot",
            Transport = new HttpClientPipelineTransport(SharedHttpClient),
        };
        if (options.BaseUrl is not null)
            clientOptions.Endpoint = options.BaseUrl;
        _client = new ChatClient(options.Model, new ApiKeyCredential(options.ApiKey ?? ModelOptions.PlaceholderApiKey), clientOptions);
    }

    /// <summary>True once the server has rejected the json_schema response format and it is no longer sent.</summary>
    public bool ResponseFormatDisabled => _responseFormatRejected;

    /// <exception cref="ModelUnavailableException">Unreachable server, unknown host, HTTP 401/403/404.</exception>
    /// <exception cref="ModelCallFailedException">Any other failure once retries are spent.</exception>
    public async Task<ModelAnswer> CompleteAsync(ModelRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var useSchema = request.UseJsonSchema && !_responseFormatRejected;
        try
        {
            try
            {
                return await SendAsync(request, useSchema, cancellationToken);
            }
            catch (ClientResultException e) when (useSchema && IsResponseFormatRejection(e))
            {
                _responseFormatRejected = true;
                LogResponseFormatRejected(_logger, _options.Host, _options.Model);
                return await SendAsync(request, useSchema: false, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is not (ModelUnavailableException or ModelCallFailedException))
        {
            throw Translate(e);
        }
    }

    private async Task<ModelAnswer> SendAsync(ModelRequest request, bool useSchema, CancellationToken cancellationToken)
    {
        ChatMessage[] messages = [new SystemChatMessage(request.SystemPrompt), new UserChatMessage(request.UserPrompt)];
        ClientResult<ChatCompletion> result = await _client.CompleteChatAsync(messages, BuildOptions(request, useSchema), cancellationToken);
        var answer = ToAnswer(result.Value);
        return result.GetRawResponse().Headers.TryGetValue(FinishReasonNormalizingHandler.OriginalFinishReasonHeader, out var original)
            ? answer with { FinishReason = string.IsNullOrEmpty(original) ? null : original.ToLowerInvariant() }
            : answer;
    }

    private ChatCompletionOptions BuildOptions(ModelRequest request, bool useSchema)
    {
        var options = new ChatCompletionOptions { Temperature = request.Temperature };
        if (useSchema)
        {
            options.ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat(
                CritiqueSchema.Name, CritiqueSchemaData, jsonSchemaFormatDescription: null, jsonSchemaIsStrict: false);
        }

        // The client only knows max_completion_tokens; the legacy field goes in through its (experimental)
        // JSON patch, the supported way to add a property the typed model lacks.
        var parameter = _options.EffectiveMaxTokensParameter;
        if (parameter is MaxTokensParameter.MaxCompletionTokens or MaxTokensParameter.Both)
            options.MaxOutputTokenCount = request.MaxOutputTokens;
#pragma warning disable SCME0001
        if (parameter is MaxTokensParameter.MaxTokens or MaxTokensParameter.Both)
            options.Patch.Set("$.max_tokens"u8, request.MaxOutputTokens);
#pragma warning restore SCME0001
        return options;
    }

    private static ModelAnswer ToAnswer(ChatCompletion completion)
    {
        var text = string.Concat(completion.Content
            .Where(part => part.Kind == ChatMessageContentPartKind.Text)
            .Select(part => part.Text));
        return new ModelAnswer
        {
            Text = text,
            PromptTokens = completion.Usage?.InputTokenCount ?? 0,
            CachedPromptTokens = completion.Usage?.InputTokenDetails?.CachedTokenCount ?? 0,
            CompletionTokens = completion.Usage?.OutputTokenCount ?? 0,
            Model = string.IsNullOrEmpty(completion.Model) ? null : completion.Model,
            FinishReason = completion.FinishReason switch
            {
                ChatFinishReason.Stop => "stop",
                ChatFinishReason.Length => "length",
                ChatFinishReason.ContentFilter => "content_filter",
                ChatFinishReason.ToolCalls => "tool_calls",
                ChatFinishReason.FunctionCall => "function_call",
                var other => other.ToString().ToLowerInvariant(),
            },
        };
    }

    private static bool IsResponseFormatRejection(ClientResultException e)
    {
        if (e.Status != 400)
            return false;
        var body = ReadBody(e);
        return body.Contains("response_format", StringComparison.OrdinalIgnoreCase)
            || body.Contains("json_schema", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// One-line messages that name the host and the status. Never the server's own error text: servers echo
    /// the presented key back ("Incorrect API key provided: sk-...").
    /// </summary>
    private Exception Translate(Exception exception)
    {
        var host = _options.Host;
        var chain = ExceptionChain.Of(exception).ToList();

        if (chain.OfType<ClientResultException>().FirstOrDefault(e => e.Status > 0) is { } http)
        {
            var status = http.Status;
            var code = ErrorCode(http);
            var described = $"HTTP {status}{(code is null ? "" : $" ({code})")}";
            switch (status)
            {
                case 401:
                    return new ModelUnavailableException($"The model server at {host} refused the API key: {described}. Check {ModelOptions.ApiKeyVariable}.");
                case 403:
                    return new ModelUnavailableException($"The model server at {host} forbids this call: {described}. Check the key's access to model '{_options.Model}'.");
                case 404:
                    return new ModelUnavailableException($"The model server at {host} answered {described}: check that model '{_options.Model}' exists there ({ModelOptions.ModelVariable}) and that {ModelOptions.BaseUrlVariable} ends in /v1.");
                default:
                    var retried = status is 408 or 429 or >= 500 && _options.MaxRetries > 0 ? $" after {_options.MaxRetries} retries" : "";
                    return new ModelCallFailedException($"The model call to {host} failed{retried}: {described}.") { StatusCode = status };
            }
        }

        if (chain.OfType<HttpRequestException>().FirstOrDefault() is { } network
            && network.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError)
        {
            var reason = network.HttpRequestError switch
            {
                HttpRequestError.NameResolutionError => "the host name does not resolve",
                HttpRequestError.SecureConnectionError => "the TLS handshake failed",
                _ when chain.OfType<SocketException>().Any(s => s.SocketErrorCode == SocketError.ConnectionRefused) => "connection refused",
                _ => "cannot connect",
            };
            return new ModelUnavailableException($"Cannot reach the model server at {host}: {reason}. Check {ModelOptions.BaseUrlVariable}.", network);
        }

        if (chain.Any(e => e is OperationCanceledException or TimeoutException))
            return new ModelCallFailedException($"The model server at {host} did not answer within {_options.Timeout.TotalSeconds:0.###} s.", exception);

        if (chain.OfType<HttpRequestException>().FirstOrDefault() is { } dropped)
            return new ModelCallFailedException($"The connection to the model server at {host} failed after {_options.MaxRetries} retries: {dropped.HttpRequestError}.", dropped);

        if (chain.Any(e => e is JsonException or FormatException or ArgumentOutOfRangeException or InvalidOperationException or KeyNotFoundException))
            return new ModelCallFailedException($"The model server at {host} sent an answer that is not a chat completion ({exception.GetType().Name}).", exception);

        return new ModelCallFailedException($"The model call to {host} failed: {exception.GetType().Name}.", exception);
    }

    /// <summary>The machine-readable <c>error.code</c> (or <c>error.type</c>) of an OpenAI error body, if it looks like one.</summary>
    private string? ErrorCode(ClientResultException e)
    {
        try
        {
            using var document = JsonDocument.Parse(ReadBody(e));
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("error", out var error)
                || error.ValueKind != JsonValueKind.Object)
                return null;
            foreach (var name in (ReadOnlySpan<string>)["code", "type"])
            {
                if (error.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
                    && value.GetString() is { Length: > 0 and <= 64 } text
                    && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.')
                    && (_options.ApiKey is null || !text.Contains(_options.ApiKey, StringComparison.Ordinal)))
                    return text;
            }
            return null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string ReadBody(ClientResultException e)
    {
        try
        {
            return e.GetRawResponse()?.Content?.ToString() ?? "";
        }
        catch (InvalidOperationException)
        {
            return "";
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model server {Host} rejected the json_schema response format for {Model}; asking without it from now on")]
    private static partial void LogResponseFormatRejected(ILogger logger, string host, string model);
}
