using System.Text.Json;

namespace CriticBot.Intake;

/// <summary>The few fields intake reads from a delivery body to route and order it; the rest stays raw.</summary>
public sealed record WebhookPayload
{
    public string? Action { get; init; }
    public long? InstallationId { get; init; }
    public string? RepositoryFullName { get; init; }

    /// <summary>pull_request.number, or issue.number when the issue is a pull request.</summary>
    public int? PullRequest { get; init; }

    /// <summary>Parses a JSON object body; null with a reason when the body is not one.</summary>
    public static WebhookPayload? TryParse(ReadOnlyMemory<byte> body, out string error)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 128 });
        }
        catch (JsonException ex)
        {
            error = $"The body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).";
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "The body must be a JSON object.";
                return null;
            }

            error = "";
            // Every field is optional and type-checked: a strange payload is stored, not a crash.
            return new WebhookPayload
            {
                Action = String(root, "action"),
                InstallationId = Int64(Object(root, "installation"), "id"),
                RepositoryFullName = String(Object(root, "repository"), "full_name"),
                PullRequest = PullRequestNumber(root),
            };
        }
    }

    private static int? PullRequestNumber(JsonElement root)
    {
        if (Object(root, "pull_request") is { } pullRequest)
        {
            return Int32(pullRequest, "number") ?? Int32(root, "number");
        }

        // issue_comment on a pull request: the issue carries a "pull_request" link object.
        if (Object(root, "issue") is { } issue && Object(issue, "pull_request") is not null)
        {
            return Int32(issue, "number");
        }

        return null;
    }

    private static JsonElement? Object(JsonElement? parent, string name) =>
        parent is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object
            ? value
            : null;

    private static string? String(JsonElement? parent, string name) =>
        parent is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static long? Int64(JsonElement? parent, string name) =>
        parent is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var value)
            && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number)
            ? number
            : null;

    private static int? Int32(JsonElement? parent, string name) =>
        parent is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var value)
            && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number)
            ? number
            : null;
}
