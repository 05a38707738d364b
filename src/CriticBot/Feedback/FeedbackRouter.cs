using System.Text.Json;
using CriticBot.Engine.Safety;
using CriticBot.GitHub;
using CriticBot.Intake;
using CriticBot.Reviews;
using CriticBot.Storage;

namespace CriticBot.Feedback;

/// <summary>
/// The deliveries that carry feedback: replies to the bot's comments (and the commands in them), "/critic missed"
/// pull-request comments, resolved and unresolved threads, and a pull request closing or reopening (the poller's
/// clock). Every signal is appended once (its source key), linked to the posted comment. Bots' input is ignored.
/// </summary>
public sealed partial class FeedbackRouter(
    IFeedbackLog log,
    IGitHubGateway github,
    RaterPermissions permissions,
    TimeProvider time,
    ILogger<FeedbackRouter> logger)
{
    public const string ReviewCommentEvent = "pull_request_review_comment";
    public const string ReviewThreadEvent = "pull_request_review_thread";

    /// <summary>The reaction the bot puts on a reply whose command it recorded.</summary>
    public const string AcknowledgeReaction = "+1";

    // A reply's text is kept whole up to this length (it is natural-language feedback, not a payload).
    private const int MaxTextLength = 20_000;

    private readonly OutputSanitizer _sanitizer = new();

    /// <summary>
    /// Handles a feedback delivery and says what became of it; null when the delivery is not (only) feedback and the
    /// review side should look at it (an issue comment without a feedback command, a reopened pull request).
    /// </summary>
    public async Task<string?> TryRouteAsync(ClaimedDelivery delivery, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        try
        {
            return delivery.Event switch
            {
                ReviewCommentEvent => await OnReviewCommentAsync(delivery, ct),
                ReviewThreadEvent => await OnThreadAsync(delivery, ct),
                "issue_comment" => await OnIssueCommentAsync(delivery, ct),
                "pull_request" when delivery.Action is "closed" or "reopened" => await OnClosedOrReopenedAsync(delivery, ct),
                _ => null,
            };
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw new MalformedPayloadException($"feedback payload: {ex.Message}");
        }
    }

    private async Task<string> OnReviewCommentAsync(ClaimedDelivery delivery, CancellationToken ct)
    {
        using var document = JsonDocument.Parse(delivery.Body);
        var root = document.RootElement;
        var comment = Get(root, "comment");
        var pull = Get(root, "pull_request");
        if (Str(root, "action") != "created")
        {
            return "ignored: review comment not created";
        }

        if (Int64(comment, "in_reply_to_id") is not { } parentId)
        {
            return "ignored: a review comment that is not a reply";
        }

        var user = Get(comment, "user");
        var login = Str(user, "login") ?? "";
        if (IsBot(user) || login.Length == 0)
        {
            return "ignored: a bot's reply";
        }

        var repository = Str(Get(root, "repository"), "full_name") ?? throw new FormatException("payload lacks repository.full_name");
        var number = Int32(pull, "number") ?? throw new FormatException("payload lacks pull_request.number");
        var installationId = Int64(Get(root, "installation"), "id") ?? throw new FormatException("payload lacks installation.id");
        var replyId = Int64(comment, "id") ?? throw new FormatException("payload lacks comment.id");
        var repo = RepoRef.Parse(repository);
        var parent = await FindBotCommentAsync(installationId, repo, repository, number, parentId, ct);
        if (parent is null)
        {
            return "ignored: a reply to a comment that is not the bot's";
        }

        var body = Str(comment, "body") ?? "";
        var rater = await RaterAsync(installationId, repo, login, Str(Get(pull, "user"), "login"), ct);
        var occurredAt = Time(comment, "created_at") ?? time.GetUtcNow();
        var baseEvent = parent with
        {
            SourceKey = $"reply:{replyId}",
            Repository = repository,
            PullRequest = number,
            Kind = FeedbackKind.Reply,
            Text = body.Length > MaxTextLength ? body[..MaxTextLength] : body,
            RaterLogin = login,
            RaterPermission = rater.Permission,
            RaterIsAuthor = rater.IsAuthor,
            OccurredAt = occurredAt,
            GitHubReplyId = replyId,
            HeadSha = Str(Get(pull, "head"), "sha"),
        };

        var command = FeedbackCommand.Parse(body);
        if (command is FeedbackCommand.Good or FeedbackCommand.Nit or FeedbackCommand.Wrong or FeedbackCommand.Rate)
        {
            // The command first: a retry after a failure in between finds it and adds nothing.
            await log.AppendAsync(CommandEvent(baseEvent, command, replyId), time.GetUtcNow(), ct);
        }

        if (!await log.AppendAsync(baseEvent, time.GetUtcNow(), ct))
        {
            return $"already recorded: reply {replyId}";
        }

        switch (command)
        {
            case null:
                return $"recorded reply {replyId} to comment {parentId}";
            case FeedbackCommand.Malformed or FeedbackCommand.Missed:
                var reason = command is FeedbackCommand.Malformed malformed ? malformed.Reason : "/critic missed is a pull-request comment, not a reply";
                await AnswerAsync(() => github.ReplyToReviewCommentAsync(installationId, repo, number, parentId, MalformedAnswer(reason), ct), repository, number);
                return $"recorded reply {replyId}; answered a malformed command ({reason})";
            default:
                await AnswerAsync(() => github.AddReviewCommentReactionAsync(installationId, repo, replyId, AcknowledgeReaction, ct), repository, number);
                return $"recorded reply {replyId} with {Describe(command)} on comment {parentId}";
        }
    }

    private async Task<string?> OnIssueCommentAsync(ClaimedDelivery delivery, CancellationToken ct)
    {
        using var document = JsonDocument.Parse(delivery.Body);
        var root = document.RootElement;
        var issue = Get(root, "issue");
        var comment = Get(root, "comment");
        var command = FeedbackCommand.Parse(Str(comment, "body"));
        var isMissed = command is FeedbackCommand.Missed || command is FeedbackCommand.Malformed { Verb: "missed" };
        if (Str(root, "action") != "created" || !isMissed || !issue.TryGetProperty("pull_request", out _))
        {
            return null;
        }

        var user = Get(comment, "user");
        var login = Str(user, "login") ?? "";
        if (IsBot(user) || login.Length == 0)
        {
            return "ignored: a bot's comment";
        }

        var repository = Str(Get(root, "repository"), "full_name") ?? throw new FormatException("payload lacks repository.full_name");
        var number = Int32(issue, "number") ?? throw new FormatException("payload lacks issue.number");
        var installationId = Int64(Get(root, "installation"), "id") ?? throw new FormatException("payload lacks installation.id");
        var commentId = Int64(comment, "id") ?? throw new FormatException("payload lacks comment.id");
        var repo = RepoRef.Parse(repository);
        if (command is FeedbackCommand.Malformed bad)
        {
            await AnswerAsync(() => github.CreateIssueCommentAsync(installationId, repo, number, MalformedAnswer(bad.Reason), ct), repository, number);
            return $"answered a malformed /critic missed ({bad.Reason})";
        }

        var missed = (FeedbackCommand.Missed)command!;
        var pull = await github.GetPullRequestAsync(installationId, repo, number, ct);
        var rater = await RaterAsync(installationId, repo, login, Str(Get(issue, "user"), "login"), ct);
        var chunk = await log.FindNearestChunkAsync(repository, number, missed.Path, missed.Line, ct);
        var added = await log.AppendAsync(new FeedbackEvent
        {
            SourceKey = $"missed:{commentId}",
            Repository = repository,
            PullRequest = number,
            Kind = FeedbackKind.MissedBug,
            Text = missed.Description,
            Content = "missed",
            RaterLogin = login,
            RaterPermission = rater.Permission,
            RaterIsAuthor = rater.IsAuthor,
            OccurredAt = Time(comment, "created_at") ?? time.GetUtcNow(),
            GitHubReplyId = commentId,
            HeadSha = pull?.HeadSha,
            Path = missed.Path,
            Line = missed.Line,
            ReviewId = chunk?.ReviewId,
            ChunkIndex = chunk?.ChunkIndex,
        }, time.GetUtcNow(), ct);
        if (added)
        {
            await AnswerAsync(() => github.AddIssueCommentReactionAsync(installationId, repo, commentId, AcknowledgeReaction, ct), repository, number);
        }

        return added ? $"recorded a missed bug at {missed.Path}:{missed.Line}" : $"already recorded: missed bug {commentId}";
    }

    private async Task<string> OnThreadAsync(ClaimedDelivery delivery, CancellationToken ct)
    {
        using var document = JsonDocument.Parse(delivery.Body);
        var root = document.RootElement;
        var action = Str(root, "action");
        if (action is not ("resolved" or "unresolved"))
        {
            return $"ignored: review thread {action}";
        }

        var sender = Get(root, "sender");
        var login = Str(sender, "login") ?? "";
        if (IsBot(sender) || login.Length == 0)
        {
            return "ignored: a bot resolved the thread";
        }

        var thread = Get(root, "thread");
        var comments = Get(thread, "comments");
        if (comments.ValueKind != JsonValueKind.Array || comments.GetArrayLength() == 0)
        {
            return "ignored: a thread without comments";
        }

        var first = comments[0];
        var repository = Str(Get(root, "repository"), "full_name") ?? throw new FormatException("payload lacks repository.full_name");
        var pull = Get(root, "pull_request");
        var number = Int32(pull, "number") ?? throw new FormatException("payload lacks pull_request.number");
        var installationId = Int64(Get(root, "installation"), "id") ?? throw new FormatException("payload lacks installation.id");
        var commentId = Int64(first, "id") ?? throw new FormatException("payload lacks thread.comments[0].id");
        var repo = RepoRef.Parse(repository);
        var parent = await log.FindCommentAsync(repository, commentId, ct) is { } known
            ? Link(known)
            : CommentFingerprint.FromBody(Str(first, "body")) is { } fingerprint && IsBot(Get(first, "user"))
                ? Link(await log.FindCommentByFingerprintAsync(repository, number, fingerprint, ct), fingerprint, commentId)
                : (FeedbackEvent?)null;
        if (parent is null)
        {
            return "ignored: a thread the bot did not start";
        }

        var rater = await RaterAsync(installationId, repo, login, Str(Get(pull, "user"), "login"), ct);
        var added = await log.AppendAsync(parent with
        {
            // Resolving, unresolving and resolving again are three signals: each delivery is one.
            SourceKey = $"thread:{delivery.DeliveryId}",
            Repository = repository,
            PullRequest = number,
            Kind = action == "resolved" ? FeedbackKind.ThreadResolved : FeedbackKind.ThreadUnresolved,
            RaterLogin = login,
            RaterPermission = rater.Permission,
            RaterIsAuthor = rater.IsAuthor,
            OccurredAt = delivery.ReceivedAt,
            GitHubThreadId = Str(thread, "node_id"),
            HeadSha = Str(Get(pull, "head"), "sha"),
        }, time.GetUtcNow(), ct);
        return added ? $"recorded thread {action} on comment {commentId}" : "already recorded";
    }

    private async Task<string?> OnClosedOrReopenedAsync(ClaimedDelivery delivery, CancellationToken ct)
    {
        if (delivery.RepositoryFullName is not { } repository || delivery.PullRequest is not { } number)
        {
            return null;
        }

        var closed = delivery.Action == "closed";
        await log.SetPullRequestClosedAsync(repository, number, closed ? delivery.ReceivedAt : null, time.GetUtcNow(), ct);
        // A reopened pull request is also reviewed: the review side handles it next.
        return closed ? "recorded: pull request closed (reactions polled until the feedback window ends)" : null;
    }

    /// <summary>The posted comment a reply answers, as an event skeleton; null when it is not the bot's.</summary>
    private async Task<FeedbackEvent?> FindBotCommentAsync(long installationId, RepoRef repo, string repository, int number, long commentId, CancellationToken ct)
    {
        if (await log.FindCommentAsync(repository, commentId, ct) is { } known)
        {
            return Link(known);
        }

        // Not in our records (posted before feedback existed, or its id was never learnt): GitHub's copy says
        // whether it is ours, by its author and its hidden fingerprint.
        var comment = await github.GetReviewCommentAsync(installationId, repo, commentId, ct);
        if (comment is null || !comment.UserIsBot || CommentFingerprint.FromBody(comment.Body) is not { } fingerprint
            || !string.Equals(comment.UserLogin, await github.GetBotLoginAsync(ct), StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return Link(await log.FindCommentByFingerprintAsync(repository, number, fingerprint, ct), fingerprint, commentId) with
        {
            Path = comment.Path,
            Line = comment.Line,
        };
    }

    internal static FeedbackEvent Link(PostedCommentRef comment) => Link(comment, comment.Fingerprint, comment.GitHubCommentId);

    private static FeedbackEvent Link(PostedCommentRef? comment, string fingerprint, long? commentId) => new()
    {
        SourceKey = "",
        Repository = comment?.Repository ?? "",
        PullRequest = comment?.PullRequest ?? 0,
        Kind = FeedbackKind.Reply,
        OccurredAt = default,
        ReviewId = comment?.ReviewId,
        Fingerprint = fingerprint,
        GitHubCommentId = commentId,
        Path = comment?.Path,
        Line = comment?.Line,
    };

    private static FeedbackEvent CommandEvent(FeedbackEvent reply, FeedbackCommand command, long replyId) => reply with
    {
        SourceKey = $"command:{replyId}",
        Kind = command switch
        {
            FeedbackCommand.Good => FeedbackKind.CommandGood,
            FeedbackCommand.Nit => FeedbackKind.CommandNit,
            FeedbackCommand.Wrong => FeedbackKind.CommandWrong,
            _ => FeedbackKind.CommandRate,
        },
        Value = command switch
        {
            FeedbackCommand.Good => FeedbackValue.Positive,
            FeedbackCommand.Wrong => FeedbackValue.Negative,
            FeedbackCommand.Nit => FeedbackValue.Neutral,
            FeedbackCommand.Rate { Rating: >= 5 } => FeedbackValue.Positive,
            FeedbackCommand.Rate { Rating: <= 3 } => FeedbackValue.Negative,
            _ => FeedbackValue.Neutral,
        },
        Rating = (command as FeedbackCommand.Rate)?.Rating,
        Content = Describe(command),
        Text = null,
    };

    private static string Describe(FeedbackCommand command) => command switch
    {
        FeedbackCommand.Good => "/critic good",
        FeedbackCommand.Nit => "/critic nit",
        FeedbackCommand.Wrong => "/critic wrong",
        FeedbackCommand.Rate rate => $"/critic rate {rate.Rating}",
        _ => "/critic",
    };

    private string MalformedAnswer(string reason) =>
        _sanitizer.Sanitize($"CriticBot did not understand that command ({reason}). The accepted forms: {FeedbackCommand.AcceptedForms}");

    private async Task<(string Permission, bool? IsAuthor)> RaterAsync(long installationId, RepoRef repo, string login, string? author, CancellationToken ct) =>
        (await permissions.GetAsync(installationId, repo, login, ct),
         author is null ? null : string.Equals(author, login, StringComparison.OrdinalIgnoreCase));

    /// <summary>An acknowledgement or answer is a courtesy: a failure is logged, the signal stays recorded.</summary>
    private async Task AnswerAsync(Func<Task> answer, string repository, int number)
    {
        try
        {
            await answer();
        }
        catch (Exception ex) when (ex is GitHubTransientException or GitHubRequestException)
        {
            LogAnswerFailed(repository, number, ex.Message);
        }
    }

    private static bool IsBot(JsonElement user) =>
        string.Equals(Str(user, "type"), "Bot", StringComparison.OrdinalIgnoreCase)
        || (Str(user, "login") ?? "").EndsWith("[bot]", StringComparison.OrdinalIgnoreCase);

    private static JsonElement Get(JsonElement parent, string name) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var value) ? value : default;

    private static string? Str(JsonElement parent, string name) =>
        Get(parent, name) is { ValueKind: JsonValueKind.String } value ? value.GetString() : null;

    private static long? Int64(JsonElement parent, string name) =>
        Get(parent, name) is { ValueKind: JsonValueKind.Number } value && value.TryGetInt64(out var n) ? n : null;

    private static int? Int32(JsonElement parent, string name) =>
        Get(parent, name) is { ValueKind: JsonValueKind.Number } value && value.TryGetInt32(out var n) ? n : null;

    private static DateTimeOffset? Time(JsonElement parent, string name) =>
        Get(parent, name) is { ValueKind: JsonValueKind.String } value && value.TryGetDateTimeOffset(out var t) ? t : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not answer feedback on {Repository}#{PullRequest}: {Error}")]
    private partial void LogAnswerFailed(string repository, int pullRequest, string error);
}
