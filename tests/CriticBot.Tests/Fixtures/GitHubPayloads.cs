using System.Text.Json.Nodes;

namespace CriticBot.Tests.Fixtures;

/// <summary>Webhook bodies of our own, shaped like GitHub's (the fields CriticBot reads, plus realistic noise).</summary>
public static class GitHubPayloads
{
    public const long InstallationId = 4242;

    public static string PullRequest(string action, string repository = "octo-org/widgets", int number = 7,
        string headSha = "1111111111111111111111111111111111111111", string baseSha = "2222222222222222222222222222222222222222",
        string? description = "Adds the frobnicator.")
    {
        var owner = repository.Split('/')[0];
        var payload = new JsonObject
        {
            ["action"] = action,
            ["number"] = number,
            ["pull_request"] = new JsonObject
            {
                ["url"] = $"https://api.github.com/repos/{repository}/pulls/{number}",
                ["id"] = 100_000 + number,
                ["number"] = number,
                ["state"] = "open",
                ["draft"] = false,
                ["title"] = "Add the frobnicator",
                ["body"] = description,
                ["user"] = User("octocat", 1),
                ["head"] = new JsonObject { ["ref"] = "feature/frob", ["sha"] = headSha, ["repo"] = Repository(repository) },
                ["base"] = new JsonObject { ["ref"] = "main", ["sha"] = baseSha, ["repo"] = Repository(repository) },
                ["commits"] = 1,
                ["additions"] = 10,
                ["deletions"] = 2,
                ["changed_files"] = 1,
            },
            ["repository"] = Repository(repository),
            ["organization"] = new JsonObject { ["login"] = owner, ["id"] = 99 },
            ["sender"] = User("octocat", 1),
            ["installation"] = new JsonObject { ["id"] = InstallationId, ["node_id"] = "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI0Mg==" },
        };
        return payload.ToJsonString();
    }

    public static string IssueComment(string repository = "octo-org/widgets", int number = 7, bool onPullRequest = true,
        string comment = "@criticbot review")
    {
        var issue = new JsonObject
        {
            ["number"] = number,
            ["title"] = "Add the frobnicator",
            ["user"] = User("octocat", 1),
            ["state"] = "open",
        };
        if (onPullRequest)
        {
            issue["pull_request"] = new JsonObject { ["url"] = $"https://api.github.com/repos/{repository}/pulls/{number}" };
        }

        return new JsonObject
        {
            ["action"] = "created",
            ["issue"] = issue,
            ["comment"] = new JsonObject { ["id"] = 555, ["body"] = comment, ["user"] = User("hubot", 2) },
            ["repository"] = Repository(repository),
            ["sender"] = User("hubot", 2),
            ["installation"] = new JsonObject { ["id"] = InstallationId },
        }.ToJsonString();
    }

    public static string Installation(string action = "created", long installationId = InstallationId, string account = "octo-org")
    {
        return new JsonObject
        {
            ["action"] = action,
            ["installation"] = new JsonObject
            {
                ["id"] = installationId,
                ["account"] = User(account, 99),
                ["repository_selection"] = "selected",
                ["app_id"] = 12345,
                ["permissions"] = new JsonObject { ["pull_requests"] = "write", ["contents"] = "read" },
                ["events"] = new JsonArray("pull_request", "issue_comment"),
            },
            ["repositories"] = new JsonArray(new JsonObject { ["id"] = 1, ["name"] = "widgets", ["full_name"] = $"{account}/widgets", ["private"] = false }),
            ["sender"] = User("octocat", 1),
        }.ToJsonString();
    }

    private static JsonObject User(string login, long id) => new()
    {
        ["login"] = login,
        ["id"] = id,
        ["type"] = "User",
        ["html_url"] = $"https://github.com/{login}",
    };

    private static JsonObject Repository(string fullName) => new()
    {
        ["id"] = Math.Abs(fullName.GetHashCode(StringComparison.Ordinal)),
        ["name"] = fullName.Split('/')[1],
        ["full_name"] = fullName,
        ["private"] = false,
        ["owner"] = User(fullName.Split('/')[0], 99),
        ["default_branch"] = "main",
    };
}
