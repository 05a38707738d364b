using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CriticBot.Testing.FakeModel;

/// <summary>How the fake model server behaves for every request.</summary>
public sealed record FakeModelServerOptions
{
    /// <summary>When set, any other (or no) bearer token gets HTTP 401.</summary>
    public string? ExpectedApiKey { get; init; }

    /// <summary>When set, a request for any other model gets HTTP 404 model_not_found.</summary>
    public IReadOnlyList<string>? KnownModels { get; init; }

    /// <summary>False makes every request with a json_schema response_format fail with HTTP 400, as older local servers do.</summary>
    public bool SupportsJsonSchema { get; init; } = true;
}

/// <summary>
/// An OpenAI-compatible chat model on 127.0.0.1 (Kestrel, a free port): <c>POST /v1/chat/completions</c> and
/// <c>GET /v1/models</c>. Each request is recorded; scripted faults are consumed first, then
/// <see cref="Responder"/> answers.
/// </summary>
public sealed class FakeModelServer : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    private readonly WebApplication _app;
    private readonly FakeModelServerOptions _options;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private readonly List<RecordedChatRequest> _requests = [];
    private readonly Queue<FakeFault> _faults = new();
    private Func<RecordedChatRequest, FakeReply> _responder = _ => FakeReply.Text("""{"comments":[]}""");
    private Func<RecordedChatRequest, CancellationToken, Task<FakeReply>>? _asyncResponder;
    private int _abandoned;

    private FakeModelServer(WebApplication app, FakeModelServerOptions options)
    {
        _app = app;
        _options = options;
    }

    /// <summary>The API root, ending in /v1 (what OPENAI_BASE_URL would hold).</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>A port nothing listens on once the server is disposed: use for "connection refused".</summary>
    public int Port => BaseUrl.Port;

    /// <summary>Answers every request no fault took. Settable per test; safe to swap while running.</summary>
    public Func<RecordedChatRequest, FakeReply> Responder
    {
        get { lock (_gate) return _responder; }
        set { ArgumentNullException.ThrowIfNull(value); lock (_gate) _responder = value; }
    }

    /// <summary>
    /// When set, answers instead of <see cref="Responder"/>, with a token that fires when the client abandons the
    /// request (closes the connection): a test can hold calls and see them cancelled.
    /// </summary>
    public Func<RecordedChatRequest, CancellationToken, Task<FakeReply>>? AsyncResponder
    {
        get { lock (_gate) return _asyncResponder; }
        set { lock (_gate) _asyncResponder = value; }
    }

    /// <summary>Requests the client abandoned while <see cref="AsyncResponder"/> was still answering them.</summary>
    public int AbandonedRequests => Volatile.Read(ref _abandoned);

    /// <summary>A snapshot of the chat requests received so far, in arrival order.</summary>
    public IReadOnlyList<RecordedChatRequest> Requests
    {
        get { lock (_gate) return [.. _requests]; }
    }

    public int PendingFaults
    {
        get { lock (_gate) return _faults.Count; }
    }

    public static async Task<FakeModelServer> StartAsync(FakeModelServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(2));
        var app = builder.Build();

        var server = new FakeModelServer(app, options ?? new FakeModelServerOptions());
        app.MapPost("/v1/chat/completions", server.HandleChatAsync);
        app.MapGet("/v1/models", server.HandleModelsAsync);
        await app.StartAsync(cancellationToken);

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()
            ?? throw new InvalidOperationException("Kestrel reported no listening address.");
        var address = addresses.Addresses.First();
        server.BaseUrl = new Uri(address.TrimEnd('/') + "/v1");
        return server;
    }

    /// <summary>Queue one-shot faults; the next requests consume them in order before the responder answers.</summary>
    public void EnqueueFault(params FakeFault[] faults)
    {
        ArgumentNullException.ThrowIfNull(faults);
        lock (_gate)
        {
            foreach (var fault in faults)
                _faults.Enqueue(fault);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    private async Task HandleChatAsync(HttpContext context)
    {
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
            body = await reader.ReadToEndAsync(context.RequestAborted);

        var authorization = context.Request.Headers.Authorization.ToString();
        var presentedKey = authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization["Bearer ".Length..].Trim() : null;

        FakeFault? fault;
        RecordedChatRequest request;
        Func<RecordedChatRequest, FakeReply> responder;
        Func<RecordedChatRequest, CancellationToken, Task<FakeReply>>? asyncResponder;
        lock (_gate)
        {
            asyncResponder = _asyncResponder;
            request = Record(body, context.Request.Headers, presentedKey is not null, _requests.Count + 1);
            _requests.Add(request);
            _faults.TryDequeue(out fault);
            responder = _responder;
        }

        if (request.BodyError is not null)
        {
            await WriteErrorAsync(context, 400, "invalid_request_error", "invalid_json", null, $"We could not parse the JSON body of your request: {request.BodyError}");
            return;
        }

        if (_options.ExpectedApiKey is not null && presentedKey != _options.ExpectedApiKey)
        {
            // Echo the key back, as OpenAI does (partly masked there): clients must never pass this text on.
            await WriteErrorAsync(context, 401, "invalid_request_error", "invalid_api_key", null, $"Incorrect API key provided: {presentedKey}.");
            return;
        }

        switch (fault?.Kind)
        {
            case FakeFaultKind.Status:
                foreach (var (name, value) in fault.Headers)
                    context.Response.Headers[name] = value;
                await WriteErrorAsync(context, fault.StatusCode, fault.ErrorType, fault.ErrorCode, fault.ErrorParam, fault.ErrorMessage);
                return;
            case FakeFaultKind.DropConnection:
                context.Abort();
                return;
            case FakeFaultKind.Delay:
                using (var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping.Token))
                {
                    try
                    {
                        await Task.Delay(fault.Delay, linked.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
                break;
        }

        if (_options.KnownModels is { } known && !known.Contains(request.Model ?? ""))
        {
            await WriteErrorAsync(context, 404, "invalid_request_error", "model_not_found", "model", $"The model '{request.Model}' does not exist or you do not have access to it.");
            return;
        }

        if (!_options.SupportsJsonSchema && request.ResponseFormatType == "json_schema")
        {
            var rejection = FakeFault.RejectResponseFormat();
            await WriteErrorAsync(context, 400, rejection.ErrorType, rejection.ErrorCode, rejection.ErrorParam, rejection.ErrorMessage);
            return;
        }

        FakeReply reply;
        if (asyncResponder is not null)
        {
            try
            {
                reply = await asyncResponder(request, context.RequestAborted);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                Interlocked.Increment(ref _abandoned);
                return;
            }

            await WriteCompletionAsync(context, request, reply);
            return;
        }

        try
        {
            reply = responder(request);
        }
        catch (Exception e)
        {
            await WriteErrorAsync(context, 500, "server_error", null, null, $"The fake responder threw {e.GetType().Name}: {e.Message}");
            return;
        }

        await WriteCompletionAsync(context, request, reply);
    }

    private Task HandleModelsAsync(HttpContext context)
    {
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var models = new JsonArray();
        foreach (var id in _options.KnownModels ?? ["fake-critic"])
            models.Add(new JsonObject { ["id"] = id, ["object"] = "model", ["created"] = created, ["owned_by"] = "criticbot-fake" });
        return WriteJsonAsync(context, 200, new JsonObject { ["object"] = "list", ["data"] = models });
    }

    private static Task WriteCompletionAsync(HttpContext context, RecordedChatRequest request, FakeReply reply)
    {
        var promptTokens = reply.PromptTokens ?? request.Messages.Sum(m => FakeReply.EstimateTokens(m.Content));
        var completionTokens = reply.CompletionTokens ?? FakeReply.EstimateTokens(reply.Content);
        var completion = new JsonObject
        {
            ["id"] = $"chatcmpl-fake-{request.Sequence}",
            ["object"] = "chat.completion",
            ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["model"] = request.Model ?? "fake-critic",
            ["choices"] = new JsonArray
            {
                new JsonObject
                {
                    ["index"] = 0,
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = reply.Content, ["refusal"] = null },
                    ["logprobs"] = null,
                    ["finish_reason"] = reply.FinishReason,
                },
            },
            ["usage"] = new JsonObject
            {
                ["prompt_tokens"] = promptTokens,
                ["completion_tokens"] = completionTokens,
                ["total_tokens"] = promptTokens + completionTokens,
            },
        };
        if (reply.CachedPromptTokens is { } cached)
        {
            completion["usage"]!["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = cached };
        }

        return WriteJsonAsync(context, 200, completion);
    }

    private static Task WriteErrorAsync(HttpContext context, int status, string type, string? code, string? param, string message) =>
        WriteJsonAsync(context, status, new JsonObject
        {
            ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = param, ["code"] = code },
        });

    private static async Task WriteJsonAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString(Compact), context.RequestAborted);
    }

    private static RecordedChatRequest Record(string body, IHeaderDictionary headers, bool hasAuthorization, int sequence)
    {
        var recordedHeaders = headers.ToDictionary(
            h => h.Key,
            h => h.Key.Equals("Authorization", StringComparison.OrdinalIgnoreCase) ? "[redacted]" : h.Value.ToString(),
            StringComparer.OrdinalIgnoreCase);

        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            return new RecordedChatRequest { Sequence = sequence, RawBody = body, BodyError = e.Message, HasAuthorization = hasAuthorization, Headers = recordedHeaders };
        }

        if (root is not JsonObject json)
            return new RecordedChatRequest { Sequence = sequence, RawBody = body, BodyError = "the body is not a JSON object", HasAuthorization = hasAuthorization, Headers = recordedHeaders };

        var responseFormat = json["response_format"] as JsonObject;
        return new RecordedChatRequest
        {
            Sequence = sequence,
            RawBody = body,
            Model = StringOf(json["model"]),
            Messages = (json["messages"] as JsonArray ?? []).OfType<JsonObject>()
                .Select(m => new RecordedMessage(StringOf(m["role"]) ?? "", ContentText(m["content"])))
                .ToList(),
            Temperature = NumberOf(json["temperature"]),
            MaxTokens = (int?)NumberOf(json["max_tokens"]),
            MaxCompletionTokens = (int?)NumberOf(json["max_completion_tokens"]),
            ResponseFormatType = StringOf(responseFormat?["type"]),
            ResponseFormatJson = responseFormat?.ToJsonString(Compact),
            HasAuthorization = hasAuthorization,
            Headers = recordedHeaders,
        };
    }

    /// <summary>Content is a string, or an array of parts of which the text parts count.</summary>
    private static string ContentText(JsonNode? content) => content switch
    {
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        JsonArray parts => string.Concat(parts.OfType<JsonObject>().Select(p => StringOf(p["text"]) ?? "")),
        _ => "",
    };

    private static string? StringOf(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static double? NumberOf(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number ? value.GetValue<double>() : null;
}
