using System.Text.Json;

namespace CriticBot.Reviews;

/// <summary>
/// The few fields of GitHub's webhook payloads that the review pipeline acts on. Read with JsonDocument rather
/// than full event models: a payload with fields GitHub adds tomorrow, or one we never asked for, still parses,
/// and a payload missing what we need gives one clear reason instead of a deserialisation exception.
/// </summary>
public static class WebhookPayloads
{
    public static PullRequestPayload ReadPullRequest(string body)
    {
        using var doc = Parse(body);
        var root = doc.RootElement;
        var pr = Required(root, "pull_request");
        return new PullRequestPayload
        {
            Action = String(root, "action") ?? "",
            InstallationId = InstallationId(root),
            Repository = RepositoryName(root),
            Number = NumberOf(pr, "pull_request.number"),
            HeadSha = String(Required(pr, "head"), "sha") ?? throw Malformed("pull_request.head.sha"),
            BaseSha = String(Required(pr, "base"), "sha") ?? throw Malformed("pull_request.base.sha"),
            BaseRef = String(Required(pr, "base"), "ref") ?? throw Malformed("pull_request.base.ref"),
            State = String(pr, "state") ?? "open",
            Draft = pr.TryGetProperty("draft", out var draft) && draft.ValueKind == JsonValueKind.True,
            SenderLogin = SenderLogin(root),
        };
    }

    public static IssueCommentPayload ReadIssueComment(string body)
    {
        using var doc = Parse(body);
        var root = doc.RootElement;
        var issue = Required(root, "issue");
        var comment = Required(root, "comment");
        var user = Required(comment, "user");
        return new IssueCommentPayload
        {
            Action = String(root, "action") ?? "",
            InstallationId = InstallationId(root),
            Repository = RepositoryName(root),
            Number = NumberOf(issue, "issue.number"),
            IsPullRequest = issue.TryGetProperty("pull_request", out var link) && link.ValueKind == JsonValueKind.Object,
            CommentBody = String(comment, "body") ?? "",
            CommenterLogin = String(user, "login") ?? throw Malformed("comment.user.login"),
            CommenterIsBot = string.Equals(String(user, "type"), "Bot", StringComparison.OrdinalIgnoreCase),
        };
    }

    private static JsonDocument Parse(string body)
    {
        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            throw new MalformedPayloadException($"payload is not valid JSON: {ex.Message}");
        }
    }

    private static long InstallationId(JsonElement root) =>
        root.TryGetProperty("installation", out var i) && i.ValueKind == JsonValueKind.Object
            && i.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.Number && id.TryGetInt64(out var value)
            ? value
            : throw Malformed("installation.id");

    // A wrongly typed field is as malformed as a missing one: a clear permanent failure, not retries of an
    // InvalidOperationException.
    private static int NumberOf(JsonElement parent, string field) =>
        parent.TryGetProperty("number", out var number) && number.ValueKind == JsonValueKind.Number && number.TryGetInt32(out var value)
            ? value
            : throw Malformed(field);

    private static string RepositoryName(JsonElement root) =>
        String(Required(root, "repository"), "full_name") ?? throw Malformed("repository.full_name");

    private static string SenderLogin(JsonElement root) =>
        root.TryGetProperty("sender", out var s) && s.ValueKind == JsonValueKind.Object ? String(s, "login") ?? "" : "";

    private static JsonElement Required(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : throw Malformed(name);

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static MalformedPayloadException Malformed(string field) => new($"payload lacks {field}");
}

public sealed class MalformedPayloadException(string message) : Exception(message);

public sealed record PullRequestPayload
{
    public required string Action { get; init; }
    public required long InstallationId { get; init; }
    public required string Repository { get; init; }
    public required int Number { get; init; }
    public required string HeadSha { get; init; }
    public required string BaseSha { get; init; }
    public required string BaseRef { get; init; }
    public required string State { get; init; }
    public required bool Draft { get; init; }
    public required string SenderLogin { get; init; }
}

public sealed record IssueCommentPayload
{
    public required string Action { get; init; }
    public required long InstallationId { get; init; }
    public required string Repository { get; init; }
    public required int Number { get; init; }
    public required bool IsPullRequest { get; init; }
    public required string CommentBody { get; init; }
    public required string CommenterLogin { get; init; }
    public required bool CommenterIsBot { get; init; }
}
