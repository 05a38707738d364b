using System.Net.Http;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CriticBot.Engine.Model;

/// <summary>
/// The OpenAI client throws on a <c>finish_reason</c> it does not know ("eos", "abort") or on null, which some
/// OpenAI-compatible servers send; the whole answer would be lost. This handler rewrites such a value to "stop"
/// before the client reads it and keeps the original in a response header.
/// </summary>
internal sealed class FinishReasonNormalizingHandler : DelegatingHandler
{
    /// <summary>The finish_reason the server really sent (empty for null), when it was rewritten.</summary>
    public const string OriginalFinishReasonHeader = "x-criticbot-original-finish-reason";

    private static readonly HashSet<string> KnownReasons = ["stop", "length", "content_filter", "tool_calls", "function_call"];

    public FinishReasonNormalizingHandler(HttpMessageHandler innerHandler) : base(innerHandler) { }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode || request.RequestUri?.AbsolutePath.EndsWith("/chat/completions", StringComparison.Ordinal) != true)
            return response;

        // Buffered: the client reads the same bytes again when nothing is rewritten.
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (Normalize(body) is not ({ } rewritten, var original))
            return response;

        var content = new ByteArrayContent(rewritten);
        foreach (var header in response.Content.Headers)
            content.Headers.TryAddWithoutValidation(header.Key, header.Value);
        content.Headers.ContentLength = rewritten.Length;
        response.Content.Dispose();
        response.Content = content;
        response.Headers.TryAddWithoutValidation(OriginalFinishReasonHeader, original ?? "");
        return response;
    }

    /// <summary>The rewritten body and the first original reason, or null when every choice's reason is known.</summary>
    internal static (byte[] Body, string? Original)? Normalize(byte[] body)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body);
        }
        catch (JsonException)
        {
            return null;
        }

        if (root is not JsonObject { } completion || completion["choices"] is not JsonArray choices)
            return null;

        var rewrote = false;
        string? firstOriginal = null;
        foreach (var choice in choices.OfType<JsonObject>())
        {
            var reason = choice["finish_reason"] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
            if (reason is not null && KnownReasons.Contains(reason))
                continue;
            if (!rewrote)
                firstOriginal = reason;
            rewrote = true;
            choice["finish_reason"] = "stop";
        }

        return rewrote ? (JsonSerializer.SerializeToUtf8Bytes(completion), firstOriginal) : null;
    }
}
