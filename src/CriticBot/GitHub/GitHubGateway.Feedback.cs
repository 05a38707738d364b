using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Octokit;

namespace CriticBot.GitHub;

/// <summary>The calls the feedback side makes: comments, reactions, replies.</summary>
public sealed partial class GitHubGateway
{
    private static readonly JsonSerializerOptions Wire = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>A bounded walk over pages: a pull request with more review comments than this is read in part.</summary>
    private const int MaxCommentPages = 30;

    private static readonly HashSet<string> Roles = new(StringComparer.Ordinal) { "admin", "maintain", "write", "triage", "read", "none" };

    public async Task<string> GetRoleAsync(long installationId, RepoRef repo, string login, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repo);
        var client = Start(installationId, cancellationToken);
        try
        {
            var permission = await client.Api
                .Get<PermissionResponse>(RepoUri(repo, $"collaborators/{Uri.EscapeDataString(login)}/permission"))
                .WaitAsync(cancellationToken);
            return permission.RoleName is { } role && Roles.Contains(role)
                ? role
                : string.IsNullOrEmpty(permission.Permission) ? "none" : permission.Permission;
        }
        catch (NotFoundException)
        {
            return "none";
        }
        catch (Exception ex) when (Translate(installationId, $"GET permission of {login} in {repo}", ex, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    public async Task<PullCommentInfo?> GetReviewCommentAsync(long installationId, RepoRef repo, long commentId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repo);
        var client = Start(installationId, cancellationToken);
        try
        {
            using var response = await SendRawAsync(client, RepoUri(repo, $"pulls/comments/{commentId}"), null, cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }

            await EnsureSuccessAsync(response, $"GET review comment {commentId} in {repo}", cancellationToken);
            var wire = await JsonSerializer.DeserializeAsync<PullCommentWire>(await response.Content.ReadAsStreamAsync(cancellationToken), Wire, cancellationToken);
            return wire is null ? null : ToInfo(wire);
        }
        catch (Exception ex) when (Translate(installationId, $"GET review comment {commentId} in {repo}", ex, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    public async Task<ConditionalComments> ListPullRequestCommentsAsync(long installationId, RepoRef repo, int number, string? etag, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repo);
        var client = Start(installationId, cancellationToken);
        var what = $"GET review comments of {repo}#{number}";
        try
        {
            var comments = new List<PullCommentInfo>();
            Uri? next = RepoUri(repo, $"pulls/{number}/comments?per_page=100");
            string? firstETag = null;
            RateLimitSnapshot? limit = null;
            for (var page = 0; next is not null && page < MaxCommentPages; page++)
            {
                // Only the first page is asked conditionally: when it has not changed, nothing has (new comments and
                // changed counts both change the listing, and so its ETag).
                using var response = await SendRawAsync(client, next, page == 0 ? etag : null, cancellationToken);
                limit = ReadRateLimit(response) ?? limit;
                if (page == 0 && response.StatusCode == HttpStatusCode.NotModified)
                {
                    return new ConditionalComments { NotModified = true, ETag = etag, RateLimit = limit };
                }

                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    return new ConditionalComments { NotModified = false, ETag = null, RateLimit = limit };
                }

                await EnsureSuccessAsync(response, what, cancellationToken);
                if (page == 0)
                {
                    firstETag = response.Headers.ETag?.ToString();
                }

                var wire = await JsonSerializer.DeserializeAsync<List<PullCommentWire>>(await response.Content.ReadAsStreamAsync(cancellationToken), Wire, cancellationToken) ?? [];
                comments.AddRange(wire.Select(ToInfo));
                next = NextLink(response);
            }

            return new ConditionalComments { NotModified = false, Comments = comments, ETag = firstETag, RateLimit = limit };
        }
        catch (Exception ex) when (Translate(installationId, what, ex, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    public async Task<IReadOnlyList<ReactionInfo>> ListReviewCommentReactionsAsync(long installationId, RepoRef repo, long commentId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repo);
        var client = Start(installationId, cancellationToken);
        try
        {
            var reactions = await client.Api
                .GetAll<ReactionResponse>(RepoUri(repo, $"pulls/comments/{commentId}/reactions"), new Dictionary<string, string>(), AllPages)
                .WaitAsync(cancellationToken);
            return reactions.Select(r => new ReactionInfo
            {
                Id = r.Id,
                Content = r.Content ?? "",
                UserLogin = r.User?.Login ?? "",
                UserIsBot = string.Equals(r.User?.Type, "Bot", StringComparison.OrdinalIgnoreCase),
                CreatedAt = r.CreatedAt,
            }).ToList();
        }
        catch (NotFoundException)
        {
            return [];
        }
        catch (Exception ex) when (Translate(installationId, $"GET reactions of review comment {commentId} in {repo}", ex, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    public Task AddReviewCommentReactionAsync(long installationId, RepoRef repo, long commentId, string content, CancellationToken cancellationToken = default) =>
        AddReactionAsync(installationId, repo, $"pulls/comments/{commentId}/reactions", content, $"review comment {commentId}", cancellationToken);

    public Task AddIssueCommentReactionAsync(long installationId, RepoRef repo, long commentId, string content, CancellationToken cancellationToken = default) =>
        AddReactionAsync(installationId, repo, $"issues/comments/{commentId}/reactions", content, $"comment {commentId}", cancellationToken);

    /// <summary>One reaction on a review comment or an issue comment: the same call on two paths.</summary>
    private async Task AddReactionAsync(long installationId, RepoRef repo, string path, string content, string what, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repo);
        var client = Start(installationId, cancellationToken);
        try
        {
            await client.Api.Post<ReactionResponse>(RepoUri(repo, path), new ReactionRequest { Content = content }, cancellationToken);
        }
        catch (Exception ex) when (Translate(installationId, $"POST reaction on {what} in {repo}", ex, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    public async Task<long> ReplyToReviewCommentAsync(long installationId, RepoRef repo, int number, long commentId, string body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repo);
        var client = Start(installationId, cancellationToken);
        try
        {
            var reply = await client.Api.Post<ReviewCommentResponse>(RepoUri(repo, $"pulls/{number}/comments/{commentId}/replies"),
                new CommentBodyRequest { Body = body }, cancellationToken);
            return reply.Id;
        }
        catch (Exception ex) when (Translate(installationId, $"POST reply to review comment {commentId} in {repo}", ex, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    public async Task<long> CreateIssueCommentAsync(long installationId, RepoRef repo, int number, string body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repo);
        var client = Start(installationId, cancellationToken);
        try
        {
            var comment = await client.Api.Post<ReviewCommentResponse>(RepoUri(repo, $"issues/{number}/comments"),
                new CommentBodyRequest { Body = body }, cancellationToken);
            return comment.Id;
        }
        catch (Exception ex) when (Translate(installationId, $"POST comment on {repo}#{number}", ex, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    private async Task<HttpResponseMessage> SendRawAsync(GitHubInstallationClient client, Uri relative, string? etag, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, relative.IsAbsoluteUri ? relative : new Uri(client.BaseAddress, relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await clients.Tokens.GetTokenAsync(client.InstallationId, cancellationToken));
        request.Headers.Accept.ParseAdd("application/vnd.github+json");
        request.Headers.UserAgent.ParseAdd("CriticBot");
        request.Headers.TryAddWithoutValidation("X-GitHub-Api-Version", "2022-11-28");
        if (etag is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        }

        return await client.Http.SendAsync(request, cancellationToken);
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var status = (int)response.StatusCode;
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var message = body.Length > 200 ? body[..200] : body;
        if (status >= 500 || status is 429 or 403 && body.Contains("rate limit", StringComparison.OrdinalIgnoreCase))
        {
            throw new GitHubTransientException($"{what}: GitHub answered {status}.", response.StatusCode, null);
        }

        throw new GitHubRequestException($"{what}: GitHub answered {status}: {message}", response.StatusCode);
    }

    private static RateLimitSnapshot? ReadRateLimit(HttpResponseMessage response)
    {
        static int? Read(HttpResponseMessage r, string name) =>
            r.Headers.TryGetValues(name, out var values) && int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;

        return Read(response, "x-ratelimit-limit") is { } limit && Read(response, "x-ratelimit-remaining") is { } remaining
            ? new RateLimitSnapshot(limit, remaining, DateTimeOffset.FromUnixTimeSeconds(Read(response, "x-ratelimit-reset") ?? 0))
            : null;
    }

    /// <summary>The rel="next" address of GitHub's Link header.</summary>
    private static Uri? NextLink(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var values))
        {
            return null;
        }

        foreach (var part in string.Join(',', values).Split(','))
        {
            var pieces = part.Split(';');
            if (pieces.Length >= 2 && pieces[1].Trim() == "rel=\"next\"")
            {
                var address = pieces[0].Trim().TrimStart('<').TrimEnd('>');
                return Uri.TryCreate(address, UriKind.Absolute, out var uri) ? uri : null;
            }
        }

        return null;
    }

    private static PullCommentInfo ToInfo(PullCommentWire wire) => new()
    {
        Id = wire.Id,
        InReplyToId = wire.InReplyToId,
        Body = wire.Body ?? "",
        UserLogin = wire.User?.Login ?? "",
        UserIsBot = string.Equals(wire.User?.Type, "Bot", StringComparison.OrdinalIgnoreCase),
        Path = wire.Path,
        Line = wire.Line,
        ReactionCounts = wire.Reactions is { } r
            ? string.Create(CultureInfo.InvariantCulture,
                $"+1={r.PlusOne},-1={r.MinusOne},laugh={r.Laugh},hooray={r.Hooray},confused={r.Confused},heart={r.Heart},rocket={r.Rocket},eyes={r.Eyes}")
            : "",
    };

    private sealed class PullCommentWire
    {
        public long Id { get; set; }
        public long? InReplyToId { get; set; }
        public string? Body { get; set; }
        public UserWire? User { get; set; }
        public string? Path { get; set; }
        public int? Line { get; set; }
        public ReactionsWire? Reactions { get; set; }
    }

    private sealed class UserWire
    {
        public string? Login { get; set; }
        public string? Type { get; set; }
    }

    private sealed class ReactionsWire
    {
        [JsonPropertyName("+1")]
        public int PlusOne { get; set; }

        [JsonPropertyName("-1")]
        public int MinusOne { get; set; }

        public int Laugh { get; set; }
        public int Hooray { get; set; }
        public int Confused { get; set; }
        public int Heart { get; set; }
        public int Rocket { get; set; }
        public int Eyes { get; set; }
    }
}

internal sealed class ReactionResponse
{
    public long Id { get; set; }
    public string? Content { get; set; }
    public ReactionUserResponse? User { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class ReactionUserResponse
{
    public string? Login { get; set; }
    public string? Type { get; set; }
}

internal sealed class ReactionRequest
{
    public string Content { get; set; } = "";
}

internal sealed class CommentBodyRequest
{
    public string Body { get; set; } = "";
}
