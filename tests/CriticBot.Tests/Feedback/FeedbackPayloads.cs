using System.Text.Json.Nodes;
using CriticBot.Tests.Fixtures;

namespace CriticBot.Tests.Feedback;

/// <summary>The feedback deliveries as GitHub shapes them (the fields CriticBot reads, and a few around them).</summary>
public static class FeedbackPayloads
{
    public static JsonObject User(string login) => new()
    {
        ["login"] = login,
        ["id"] = Math.Abs(login.GetHashCode(StringComparison.Ordinal)),
        ["type"] = login.EndsWith("[bot]", StringComparison.Ordinal) ? "Bot" : "User",
    };

    private static JsonObject Common(string action, string repository, string sender) => new()
    {
        ["action"] = action,
        ["installation"] = new JsonObject { ["id"] = GitHubPayloads.InstallationId },
        ["repository"] = new JsonObject { ["full_name"] = repository, ["name"] = repository.Split('/')[1] },
        ["sender"] = User(sender),
    };

    private static JsonObject Pull(int number, string headSha, string author = "octocat") => new()
    {
        ["number"] = number,
        ["user"] = User(author),
        ["head"] = new JsonObject { ["sha"] = headSha, ["ref"] = "feature" },
        ["base"] = new JsonObject { ["sha"] = "base", ["ref"] = "main" },
        ["state"] = "open",
    };

    /// <summary>pull_request_review_comment.created for a reply (in_reply_to_id set).</summary>
    public static string Reply(string repository, int number, string headSha, long replyId, long inReplyTo, string login, string body)
    {
        var root = Common("created", repository, login);
        root["pull_request"] = Pull(number, headSha);
        root["comment"] = new JsonObject
        {
            ["id"] = replyId,
            ["in_reply_to_id"] = inReplyTo,
            ["body"] = body,
            ["user"] = User(login),
            ["created_at"] = "2026-11-28T10:00:00Z",
            ["path"] = "src/billing.py",
        };
        return root.ToJsonString();
    }

    /// <summary>pull_request_review_thread.resolved/unresolved for the thread <paramref name="firstCommentId"/> starts.</summary>
    public static string Thread(string action, string repository, int number, string headSha, long firstCommentId, string firstBody, string login)
    {
        var root = Common(action, repository, login);
        root["pull_request"] = Pull(number, headSha);
        root["thread"] = new JsonObject
        {
            ["node_id"] = "PRRT_" + firstCommentId,
            ["comments"] = new JsonArray(new JsonObject { ["id"] = firstCommentId, ["body"] = firstBody, ["user"] = User("criticbot[bot]") }),
        };
        return root.ToJsonString();
    }

    /// <summary>issue_comment.created on the pull request.</summary>
    public static string PullRequestComment(string repository, int number, long commentId, string login, string body)
    {
        var root = Common("created", repository, login);
        root["issue"] = new JsonObject { ["number"] = number, ["user"] = User("octocat"), ["pull_request"] = new JsonObject { ["url"] = "x" } };
        root["comment"] = new JsonObject { ["id"] = commentId, ["body"] = body, ["user"] = User(login), ["created_at"] = "2026-11-28T10:00:00Z" };
        return root.ToJsonString();
    }

    /// <summary>pull_request.closed.</summary>
    public static string Closed(string repository, int number, string headSha)
    {
        var root = Common("closed", repository, "octocat");
        root["pull_request"] = Pull(number, headSha);
        root["number"] = number;
        return root.ToJsonString();
    }
}
