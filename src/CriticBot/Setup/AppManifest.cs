using System.Text.Json;
using System.Text.Json.Nodes;

namespace CriticBot.Setup;

/// <summary>
/// The GitHub App manifest CriticBot registers itself with: the permissions and events the review pipeline needs.
/// deploy/app-manifest.json holds the same manifest with placeholder URLs, for registering by hand (a test keeps
/// the two in step).
/// </summary>
public static class AppManifest
{
    public const string DefaultName = "CriticBot";

    /// <summary>Read pull requests and files, post reviews, run the check, read comments (for /critic review) and metadata.</summary>
    public static IReadOnlyDictionary<string, string> Permissions { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["checks"] = "write",
        ["contents"] = "read",
        ["issues"] = "read",
        ["metadata"] = "read",
        ["pull_requests"] = "write",
    };

    /// <summary>Installation events come to every App without subscribing; these are the rest.</summary>
    public static IReadOnlyList<string> Events { get; } =
        ["issue_comment", "pull_request", "pull_request_review_comment", "pull_request_review_thread"];

    /// <param name="baseUrl">Where GitHub reaches this service (ends with "/").</param>
    /// <param name="webhookUrl">Where deliveries go: <paramref name="baseUrl"/>/api/github/webhooks, or a proxy channel.</param>
    public static string Build(Uri baseUrl, Uri webhookUrl, string name = DefaultName)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentNullException.ThrowIfNull(webhookUrl);
        var manifest = new JsonObject
        {
            ["name"] = name,
            ["url"] = baseUrl.ToString(),
            ["description"] = "Reviews pull requests with an LLM critic: one line-anchored review per push.",
            ["hook_attributes"] = new JsonObject { ["url"] = webhookUrl.ToString(), ["active"] = true },
            ["redirect_url"] = new Uri(baseUrl, "setup/callback").ToString(),
            ["setup_url"] = baseUrl.ToString(),
            ["setup_on_update"] = false,
            ["public"] = false,
            ["default_permissions"] = new JsonObject(Permissions.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value)))),
            ["default_events"] = new JsonArray([.. Events.Select(e => (JsonNode?)JsonValue.Create(e))]),
        };
        return manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
    }
}
