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
    public static WebhookPayload? TryParse(ReadOnlyMemory<byte> body, out string error) => WebhookPayloads.TryReadRouting(body, out error);
}

/// <summary>
/// The one reader of GitHub's webhook payloads: the routing fields intake stores next to the raw body, and the
/// fields the pipeline acts on when it handles a stored delivery. Read with <see cref="JsonDocument"/> and checked
/// field by field rather than through full event models (Octokit.Webhooks' typed events were tried: they require
/// every documented field, refuse actions GitHub adds later and fail on a wrong type in a field nobody reads), so
/// a strange payload gives one clear reason, never an exception that would be retried or answered with a 500.
/// Strings are checked while being read: invalid UTF-8 and lone surrogate escapes (<c>\ud800</c>) are malformed.
/// </summary>
public static class WebhookPayloads
{
    /// <summary>GitHub's payloads nest a few levels; anything deeper is not GitHub.</summary>
    public const int MaxDepth = 64;

    // Longer values are not GitHub's (an action is a word; owner and name are at most 100 characters each), so
    // they are not routed on, stored in columns or logged: the raw body still holds them.
    private const int MaxActionLength = 64;
    private const int MaxFullNameLength = 256;

    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = MaxDepth };

    internal static WebhookPayload? TryReadRouting(ReadOnlyMemory<byte> body, out string error)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, ParseOptions);
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
                Action = Bounded(OptionalString(root, "action"), MaxActionLength),
                InstallationId = Int64(Object(root, "installation"), "id"),
                RepositoryFullName = Bounded(OptionalString(Object(root, "repository"), "full_name"), MaxFullNameLength),
                PullRequest = RoutingPullRequestNumber(root),
            };
        }
    }

    public static PullRequestPayload ReadPullRequest(string body)
    {
        using var doc = Parse(body);
        var root = doc.RootElement;
        var pr = Required(root, "pull_request");
        var head = Required(pr, "head", "pull_request.head");
        var @base = Required(pr, "base", "pull_request.base");
        return new PullRequestPayload
        {
            Action = String(root, "action", "action") ?? "",
            InstallationId = InstallationId(root),
            Repository = RepositoryName(root),
            Number = NumberOf(pr, "pull_request.number"),
            HeadSha = String(head, "sha", "pull_request.head.sha") ?? throw Malformed("pull_request.head.sha"),
            BaseSha = String(@base, "sha", "pull_request.base.sha") ?? throw Malformed("pull_request.base.sha"),
            BaseRef = String(@base, "ref", "pull_request.base.ref") ?? throw Malformed("pull_request.base.ref"),
            DefaultBranch = DefaultBranch(root, @base),
            State = String(pr, "state", "pull_request.state") ?? "open",
            Draft = pr.TryGetProperty("draft", out var draft) && draft.ValueKind == JsonValueKind.True,
            SenderLogin = SenderLogin(root),
            RepositoryPrivate = RepositoryPrivate(root),
        };
    }

    public static IssueCommentPayload ReadIssueComment(string body)
    {
        using var doc = Parse(body);
        var root = doc.RootElement;
        var issue = Required(root, "issue");
        var comment = Required(root, "comment");
        var user = Required(comment, "user", "comment.user");
        return new IssueCommentPayload
        {
            Action = String(root, "action", "action") ?? "",
            InstallationId = InstallationId(root),
            Repository = RepositoryName(root),
            Number = NumberOf(issue, "issue.number"),
            IsPullRequest = issue.TryGetProperty("pull_request", out var link) && link.ValueKind == JsonValueKind.Object,
            CommentBody = String(comment, "body", "comment.body") ?? "",
            CommenterLogin = String(user, "login", "comment.user.login") ?? throw Malformed("comment.user.login"),
            CommenterIsBot = string.Equals(String(user, "type", "comment.user.type"), "Bot", StringComparison.OrdinalIgnoreCase),
            RepositoryPrivate = RepositoryPrivate(root),
        };
    }

    /// <summary>installation.account.login of an installation or installation_repositories delivery.</summary>
    public static string ReadInstallationAccount(string body)
    {
        using var doc = Parse(body);
        var installation = Required(doc.RootElement, "installation");
        var account = Required(installation, "account", "installation.account");
        return String(account, "login", "installation.account.login") ?? throw Malformed("installation.account.login");
    }

    /// <summary>
    /// The <c>full_name</c> of each repository in the payload's array <paramref name="property"/> (an installation's
    /// <c>repositories</c>, <c>repositories_removed</c>); malformed entries are skipped, at most 10,000 are read.
    /// </summary>
    public static IReadOnlyList<string> ReadRepositoryNames(string body, string property)
    {
        using var doc = Parse(body);
        var names = new List<string>();
        if (doc.RootElement.TryGetProperty(property, out var repositories) && repositories.ValueKind == JsonValueKind.Array)
        {
            foreach (var repository in repositories.EnumerateArray().Take(10_000))
            {
                if (repository.ValueKind == JsonValueKind.Object
                    && OptionalString(repository, "full_name") is { Length: > 2 and <= 256 } name
                    && name.Contains('/', StringComparison.Ordinal))
                {
                    names.Add(name);
                }
            }
        }

        return names;
    }

    private static JsonDocument Parse(string body)
    {
        try
        {
            var document = JsonDocument.Parse(body, ParseOptions);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw new MalformedPayloadException("payload is not a JSON object");
            }

            return document;
        }
        catch (JsonException ex)
        {
            // The position only: the message may quote the payload.
            throw new MalformedPayloadException($"payload is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1})");
        }
    }

    private static int? RoutingPullRequestNumber(JsonElement root)
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

    /// <summary>repository.default_branch, else pull_request.base.repo.default_branch; "" when neither is given.</summary>
    private static string DefaultBranch(JsonElement root, JsonElement @base) =>
        String(Object(root, "repository") ?? default, "default_branch", "repository.default_branch")
        ?? String(Object(@base, "repo") ?? default, "default_branch", "pull_request.base.repo.default_branch")
        ?? "";

    private static long InstallationId(JsonElement root) =>
        Int64(Object(root, "installation"), "id") ?? throw Malformed("installation.id");

    // A wrongly typed field is as malformed as a missing one: a clear permanent failure, not retries.
    private static int NumberOf(JsonElement parent, string field) => Int32(parent, "number") ?? throw Malformed(field);

    private static string RepositoryName(JsonElement root) =>
        String(Required(root, "repository"), "full_name", "repository.full_name") ?? throw Malformed("repository.full_name");

    /// <summary>repository.private; null when absent or not a boolean (the export then treats it as private).</summary>
    private static bool? RepositoryPrivate(JsonElement root) =>
        Object(root, "repository") is { } repository && repository.TryGetProperty("private", out var value)
            ? value.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => null }
            : null;

    private static string SenderLogin(JsonElement root) =>
        Object(root, "sender") is { } sender ? String(sender, "login", "sender.login") ?? "" : "";

    private static JsonElement Required(JsonElement element, string name, string? field = null) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object
            ? value
            : throw Malformed(field ?? name);

    /// <summary>The string, null when absent or not a string; malformed when it is not valid Unicode.</summary>
    private static string? String(JsonElement element, string name, string field)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        return TryGetString(value, out var text) ? text : throw new MalformedPayloadException($"payload field {field} is not valid Unicode");
    }

    /// <summary>For routing: a string that is absent, of another type or not valid Unicode is simply not there.</summary>
    private static string? OptionalString(JsonElement? parent, string name) =>
        parent is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            && TryGetString(value, out var text)
            ? text
            : null;

    // JsonDocument checks neither the UTF-8 inside strings nor that \uD800-style escapes pair up: GetString does,
    // by throwing InvalidOperationException.
    private static bool TryGetString(JsonElement value, out string? text)
    {
        try
        {
            text = value.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            text = null;
            return false;
        }
    }

    private static string? Bounded(string? value, int maxLength) => value is { Length: var length } && length <= maxLength ? value : null;

    private static JsonElement? Object(JsonElement? parent, string name) =>
        parent is { ValueKind: JsonValueKind.Object } p && p.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object
            ? value
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

    private static MalformedPayloadException Malformed(string field) => new($"payload lacks {field}");
}

/// <summary>A stored payload lacks or mistypes a field the pipeline needs: a permanent failure, never retried.</summary>
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

    /// <summary>The repository's default branch, where its configuration is read; "" when the payload omits it.</summary>
    public required string DefaultBranch { get; init; }

    public required string State { get; init; }
    public required bool Draft { get; init; }
    public required string SenderLogin { get; init; }

    /// <summary>repository.private as the delivery says; null when it does not.</summary>
    public bool? RepositoryPrivate { get; init; }
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

    /// <summary>repository.private as the delivery says; null when it does not.</summary>
    public bool? RepositoryPrivate { get; init; }
}
