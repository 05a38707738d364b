using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CriticBot.Testing.GitHub;

/// <summary>
/// What feedback needs of GitHub: reactions on review comments (who, what, when; counts in listings), replies in a
/// thread, pull-request conversation comments, and conditional listings of a pull request's review comments (a
/// matching If-None-Match gets 304, which, as on GitHub, costs no rate limit).
/// </summary>
public sealed partial class GitHubSimulator
{
    private static readonly string[] ReactionContents = ["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"];
    private readonly Dictionary<long, List<SimulatedReaction>> _reactions = [];

    private void MapFeedbackApi(WebApplication app)
    {
        app.MapGet("/repos/{owner}/{repo}/pulls/comments/{id:long}", GetReviewComment);
        app.MapGet("/repos/{owner}/{repo}/pulls/comments/{id:long}/reactions", ListReactions);
        app.MapPost("/repos/{owner}/{repo}/pulls/comments/{id:long}/reactions", (HttpContext c, string owner, string repo, long id) => CreateReactionAsync(c, owner, repo, id));
        app.MapPost("/repos/{owner}/{repo}/issues/comments/{id:long}/reactions", (HttpContext c, string owner, string repo, long id) => CreateReactionAsync(c, owner, repo, id));
        app.MapPost("/repos/{owner}/{repo}/pulls/{number:int}/comments/{id:long}/replies", CreateReplyAsync);
        app.MapPost("/repos/{owner}/{repo}/issues/{number:int}/comments", CreateIssueCommentAsync);
    }

    // ---- Arrange and inspect ---------------------------------------------------------------------------

    /// <summary>A person (or a bot: a login ending in [bot]) reacts to a comment; returns the reaction's id.</summary>
    public long AddReaction(long commentId, string login, string content)
    {
        lock (_gate)
        {
            var reaction = new SimulatedReaction { Id = NextId(), CommentId = commentId, Login = login, Content = content, CreatedAt = DateTimeOffset.UtcNow };
            Reactions(commentId).Add(reaction);
            return reaction.Id;
        }
    }

    public void RemoveReaction(long commentId, long reactionId)
    {
        lock (_gate)
            Reactions(commentId).RemoveAll(r => r.Id == reactionId);
    }

    public IReadOnlyList<SimulatedReaction> ReactionsOn(long commentId)
    {
        lock (_gate)
            return [.. Reactions(commentId)];
    }

    /// <summary>A person replies in the thread of <paramref name="inReplyTo"/>; returns the reply (its id goes into the webhook).</summary>
    public SimulatedReviewComment AddReply(string repo, int number, long inReplyTo, string login, string body)
    {
        lock (_gate)
            return AddReplyLocked(Pull(Repo(repo), number), inReplyTo, login, body);
    }

    public IReadOnlyList<SimulatedReviewComment> Replies(string repo, int number)
    {
        lock (_gate)
            return [.. Pull(Repo(repo), number).Replies];
    }

    public IReadOnlyList<SimulatedIssueComment> IssueComments(string repo, int number)
    {
        lock (_gate)
            return [.. Pull(Repo(repo), number).IssueComments];
    }

    private List<SimulatedReaction> Reactions(long commentId)
    {
        if (!_reactions.TryGetValue(commentId, out var list))
            _reactions[commentId] = list = [];
        return list;
    }

    private SimulatedReviewComment AddReplyLocked(SimulatedPull pull, long inReplyTo, string login, string body)
    {
        var parent = pull.Reviews.SelectMany(r => r.Comments).FirstOrDefault(c => c.Id == inReplyTo)
            ?? throw new InvalidOperationException($"No review comment {inReplyTo} on #{pull.Number}.");
        var reply = parent with { Id = NextId(), Body = body, UserLogin = login, InReplyToId = parent.Id };
        pull.Replies.Add(reply);
        return reply;
    }

    // ---- Endpoints ---------------------------------------------------------------------------------

    private IResult GetReviewComment(HttpContext context, string owner, string repo, long id)
    {
        lock (_gate)
        {
            if (Authorize(context, owner, repo, out var repository, out _) is { } denied)
                return denied;
            foreach (var pull in repository.Pulls.Values)
            {
                if (AllComments(pull).FirstOrDefault(c => c.Comment.Id == id) is { Comment: not null } found)
                    return Results.Json(PullCommentJson(found.Comment, found.Login), Json);
            }
            return Error(404, "Not Found");
        }
    }

    private IResult ListReactions(HttpContext context, string owner, string repo, long id)
    {
        lock (_gate)
        {
            if (Authorize(context, owner, repo, out _, out _) is { } denied)
                return denied;
            return Paginate(context, Reactions(id).Select(r => new
            {
                r.Id,
                User = UserJson(r.Login),
                r.Content,
                CreatedAt = r.CreatedAt.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            }).ToList());
        }
    }

    private async Task<IResult> CreateReactionAsync(HttpContext context, string owner, string repo, long id)
    {
        var (body, bad) = await ReadJsonAsync(context);
        if (bad is not null)
            return bad;
        lock (_gate)
        {
            if (Authorize(context, owner, repo, out _, out var installation) is { } denied)
                return denied;
            var content = body?["content"]?.GetValue<string>() ?? "";
            if (!ReactionContents.Contains(content))
                return Unprocessable($"content is not a valid reaction: {content}");
            var reaction = new SimulatedReaction { Id = NextId(), CommentId = id, Login = BotLogin(installation), Content = content, CreatedAt = DateTimeOffset.UtcNow };
            Reactions(id).Add(reaction);
            return Results.Json(new { reaction.Id, User = UserJson(reaction.Login), reaction.Content }, Json, statusCode: 201);
        }
    }

    private async Task<IResult> CreateReplyAsync(HttpContext context, string owner, string repo, int number, long id)
    {
        var (body, bad) = await ReadJsonAsync(context);
        if (bad is not null)
            return bad;
        lock (_gate)
        {
            if (Authorize(context, owner, repo, out var repository, out var installation) is { } denied)
                return denied;
            if (!repository.Pulls.TryGetValue(number, out var pull))
                return Error(404, "Not Found");
            var text = body?["body"]?.GetValue<string>() ?? "";
            if (text.Length == 0)
                return Unprocessable("Body can't be blank");
            if (!pull.Reviews.SelectMany(r => r.Comments).Any(c => c.Id == id))
                return Error(404, "Not Found");
            var reply = AddReplyLocked(pull, id, BotLogin(installation), text);
            return Results.Json(PullCommentJson(reply, reply.UserLogin!), Json, statusCode: 201);
        }
    }

    private async Task<IResult> CreateIssueCommentAsync(HttpContext context, string owner, string repo, int number)
    {
        var (body, bad) = await ReadJsonAsync(context);
        if (bad is not null)
            return bad;
        lock (_gate)
        {
            if (Authorize(context, owner, repo, out var repository, out var installation) is { } denied)
                return denied;
            if (!repository.Pulls.TryGetValue(number, out var pull))
                return Error(404, "Not Found");
            var comment = new SimulatedIssueComment { Id = NextId(), Login = BotLogin(installation), Body = body?["body"]?.GetValue<string>() ?? "" };
            pull.IssueComments.Add(comment);
            return Results.Json(new { comment.Id, User = UserJson(comment.Login), comment.Body }, Json, statusCode: 201);
        }
    }

    /// <summary>GET /repos/{o}/{r}/pulls/{n}/comments: every review comment and reply with reaction counts, and an ETag.</summary>
    private IResult ListPullCommentsConditional(HttpContext context, SimulatedPull pull)
    {
        var items = AllComments(pull).Select(c => PullCommentJson(c.Comment, c.Login)).ToList();
        var etag = "W/\"" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            JsonSerializer.Serialize(items, Json) + context.Request.QueryString.Value))) + "\"";
        if (context.Request.Headers.IfNoneMatch.ToString() == etag)
        {
            // GitHub: a 304 to a conditional request does not count against the rate limit.
            _rateLimitRemaining++;
            context.Response.Headers.ETag = etag;
            return Results.StatusCode(304);
        }
        context.Response.Headers.ETag = etag;
        return Paginate(context, items);
    }

    private static IEnumerable<(SimulatedReviewComment Comment, string Login)> AllComments(SimulatedPull pull) =>
        pull.Reviews.SelectMany(r => r.Comments.Select(c => (c, c.UserLogin ?? r.UserLogin)))
            .Concat(pull.Replies.Select(c => (c, c.UserLogin ?? "")));

    private Dictionary<string, object?> PullCommentJson(SimulatedReviewComment comment, string login)
    {
        var reactions = Reactions(comment.Id);
        var counts = new Dictionary<string, object?> { ["total_count"] = reactions.Count };
        foreach (var content in ReactionContents)
            counts[content] = reactions.Count(r => r.Content == content);
        return new Dictionary<string, object?>
        {
            ["id"] = comment.Id,
            ["pull_request_review_id"] = comment.ReviewId,
            ["in_reply_to_id"] = comment.InReplyToId,
            ["path"] = comment.Path,
            ["line"] = comment.Line,
            ["side"] = comment.Side,
            ["start_line"] = comment.StartLine,
            ["start_side"] = comment.StartSide,
            ["original_line"] = comment.Line,
            ["body"] = comment.Body,
            ["commit_id"] = comment.CommitId,
            ["original_commit_id"] = comment.CommitId,
            ["user"] = UserJson(login),
            ["subject_type"] = "line",
            ["reactions"] = counts,
        };
    }

    private string BotLogin(SimulatedInstallation installation)
    {
        var app = installation.AppId ?? _tokens.Values.First(t => t.InstallationId == installation.Id).AppId;
        return (_apps.TryGetValue(app, out var registered) ? registered.Slug : "app") + "[bot]";
    }
}

public sealed partial class GitHubSimulator
{
    /// <summary>What x-ratelimit-remaining says now.</summary>
    public int RateLimitRemaining
    {
        get
        {
            lock (_gate)
                return _rateLimitRemaining;
        }
    }

    /// <summary>A review by <paramref name="login"/> with one line comment (as the App would have posted it); returns the comment.</summary>
    public SimulatedReviewComment AddReviewComment(string repo, int number, string login, string path, int line, string body)
    {
        lock (_gate)
        {
            var pull = Pull(Repo(repo), number);
            var reviewId = NextId();
            var comment = new SimulatedReviewComment
            {
                Id = NextId(), ReviewId = reviewId, Path = path, Line = line, Side = "RIGHT", Body = body, CommitId = pull.HeadSha,
            };
            pull.Reviews.Add(new SimulatedReview
            {
                Id = reviewId, Repository = repo, PullNumber = number, CommitId = pull.HeadSha, Body = "review", Event = "COMMENT",
                State = "COMMENTED", UserLogin = login, Comments = [comment],
            });
            return comment;
        }
    }
}
