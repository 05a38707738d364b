using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace CriticBot.Testing.GitHub;

public sealed partial class GitHubSimulator
{
    private const string ReviewDocs = "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request";
    private const string SecondaryLimitMessage =
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.";

    private void MapApi(WebApplication app)
    {
        // Octokit (and GitHub Enterprise Server) put the API under /api/v3/; github.com serves it at the root.
        app.UsePathBase("/api/v3");
        app.UseRouting();
        app.Use(RecordAndStampAsync);
        app.Use(InjectFaultsAsync);
        app.Use(EnforcePrimaryRateLimitAsync);

        app.MapPost("/app/installations/{installationId:long}/access_tokens", CreateInstallationToken);
        app.MapGet("/app", GetAuthenticatedApp);
        app.MapGet("/repos/{owner}/{repo}/pulls/{number:int}", GetPull);
        app.MapGet("/repos/{owner}/{repo}/pulls/{number:int}/files", ListPullFiles);
        app.MapGet("/repos/{owner}/{repo}/compare/{basehead}", Compare);
        app.MapGet("/repos/{owner}/{repo}/contents/{**path}", GetContent);
        app.MapGet("/repos/{owner}/{repo}/collaborators/{username}/permission", GetPermission);
        app.MapPost("/repos/{owner}/{repo}/check-runs", CreateCheckRunAsync);
        app.MapMethods("/repos/{owner}/{repo}/check-runs/{id:long}", ["PATCH"], UpdateCheckRunAsync);
        app.MapGet("/repos/{owner}/{repo}/commits/{gitRef}/check-runs", ListCheckRunsForRef);
        app.MapGet("/repos/{owner}/{repo}/pulls/{number:int}/reviews", ListReviews);
        app.MapPost("/repos/{owner}/{repo}/pulls/{number:int}/reviews", CreateReviewAsync);
        app.MapGet("/repos/{owner}/{repo}/pulls/{number:int}/reviews/{reviewId:long}/comments", ListReviewComments);
        app.MapGet("/repos/{owner}/{repo}/pulls/{number:int}/comments", ListPullComments);
        MapFeedbackApi(app);
        MapManifestFlow(app);
        app.MapFallback(() => Error(404, "Not Found"));
    }

    // ---- Middleware ----------------------------------------------------------------------------------

    private async Task RecordAndStampAsync(HttpContext context, RequestDelegate next)
    {
        context.Response.OnStarting(() =>
        {
            int remaining;
            DateTimeOffset reset;
            lock (_gate)
            {
                if (_rateLimitReset <= DateTimeOffset.UtcNow)
                    (_rateLimitRemaining, _rateLimitReset) = (RateLimit, DateTimeOffset.UtcNow.AddHours(1));
                (remaining, reset) = (_rateLimitRemaining, _rateLimitReset);
            }
            var headers = context.Response.Headers;
            headers["x-ratelimit-limit"] = RateLimit.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining"] = remaining.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-used"] = (RateLimit - remaining).ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset"] = reset.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-resource"] = "core";
            headers["x-github-media-type"] = "github.v3; format=json";
            return Task.CompletedTask;
        });

        await next(context);

        var authorization = context.Request.Headers.Authorization.ToString();
        lock (_gate)
        {
            _requests.Add(new RecordedRequest
            {
                Method = context.Request.Method,
                Path = context.Request.Path.Value ?? "",
                PathBase = context.Request.PathBase.Value ?? "",
                Query = context.Request.QueryString.Value ?? "",
                Status = context.Response.StatusCode,
                AuthorizationScheme = authorization.Length == 0 ? null : authorization.Split(' ')[0],
                UserAgent = context.Request.Headers.UserAgent.ToString(),
                ReceivedAt = DateTimeOffset.UtcNow,
            });
        }
    }

    private async Task InjectFaultsAsync(HttpContext context, RequestDelegate next)
    {
        InjectedFault? fault;
        lock (_gate)
        {
            var path = context.Request.Path.Value ?? "";
            fault = _faults.FirstOrDefault(f =>
                f.Remaining > 0
                && string.Equals(f.Method, context.Request.Method, StringComparison.OrdinalIgnoreCase)
                && path.Contains(f.PathContains, StringComparison.Ordinal));
            if (fault is not null && --fault.Remaining == 0)
                _faults.Remove(fault);
        }
        if (fault is null)
        {
            await next(context);
            return;
        }

        if (fault.RetryAfter is { } retryAfter)
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        var body = fault.Body ?? JsonSerializer.Serialize(
            new
            {
                Message = fault.Status is 403 or 429 ? SecondaryLimitMessage : fault.Status >= 500 ? "Server Error" : "Injected failure",
                DocumentationUrl = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
            },
            Json);
        context.Response.StatusCode = fault.Status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(body);
    }

    private async Task EnforcePrimaryRateLimitAsync(HttpContext context, RequestDelegate next)
    {
        bool exhausted;
        lock (_gate)
        {
            if (_rateLimitReset <= DateTimeOffset.UtcNow)
                (_rateLimitRemaining, _rateLimitReset) = (RateLimit, DateTimeOffset.UtcNow.AddHours(1));
            exhausted = _rateLimitRemaining <= 0;
            if (!exhausted)
                _rateLimitRemaining--;
        }
        if (!exhausted)
        {
            await next(context);
            return;
        }
        context.Response.StatusCode = 403;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(JsonSerializer.Serialize(
            new
            {
                Message = "API rate limit exceeded for installation.",
                DocumentationUrl = "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
            },
            Json));
    }

    // ---- Authentication --------------------------------------------------------------------------------

    /// <summary>GET /app: the App the JWT belongs to (its slug names its bot account, "slug[bot]").</summary>
    private IResult GetAuthenticatedApp(HttpContext context)
    {
        lock (_gate)
        {
            if (AuthenticateApp(context, out var appId) is { } denied)
                return denied;
            var registered = _apps[appId];
            return Results.Json(
                new
                {
                    Id = registered.AppId,
                    Slug = registered.Slug,
                    NodeId = "A_" + registered.AppId.ToString(CultureInfo.InvariantCulture),
                    Name = registered.Slug,
                    Owner = new { Login = "octo-org", Id = 99, Type = "Organization" },
                    CreatedAt = "2026-01-01T00:00:00Z",
                    UpdatedAt = "2026-01-01T00:00:00Z",
                    Permissions = new { },
                    Events = Array.Empty<string>(),
                },
                Json);
        }
    }

    /// <summary>The App whose RS256 JWT authorises the request, or the 401 GitHub would answer. Call under the lock.</summary>
    private IResult? AuthenticateApp(HttpContext context, out long appId)
    {
        appId = 0;
        var authorization = context.Request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.Ordinal))
            return Error(401, "A JSON web token could not be decoded");
        (appId, var failure) = VerifyAppJwt(authorization["Bearer ".Length..].Trim());
        return failure is null ? null : Error(401, failure);
    }

    private IResult CreateInstallationToken(HttpContext context, long installationId)
    {
        lock (_gate)
        {
            if (AuthenticateApp(context, out var appId) is { } denied)
                return denied;
            if (!_installations.TryGetValue(installationId, out var installation)
                || installation.AppId is { } owner && owner != appId)
                return Error(404, "Not Found");

            var token = new SimulatedToken
            {
                Value = "ghs_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(18)),
                InstallationId = installationId,
                AppId = appId,
                ExpiresAt = DateTimeOffset.UtcNow + TokenLifetime,
            };
            _tokens[token.Value] = token;
            _tokenGrants.Add((appId, installationId));
            return Results.Json(
                new
                {
                    Token = token.Value,
                    ExpiresAt = token.ExpiresAt.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
                    installation.Permissions,
                    RepositorySelection = "all",
                },
                Json,
                statusCode: 201);
        }
    }

    /// <summary>GitHub's App JWT rules: RS256, signed by a registered app's key, exp in the future and at most 10 minutes out.</summary>
    private (long AppId, string? Failure) VerifyAppJwt(string jwt)
    {
        var parts = jwt.Split('.');
        if (parts.Length != 3)
            return (0, "A JSON web token could not be decoded");
        try
        {
            using var header = JsonDocument.Parse(Base64UrlDecode(parts[0]));
            using var payload = JsonDocument.Parse(Base64UrlDecode(parts[1]));
            if (!header.RootElement.TryGetProperty("alg", out var alg) || alg.GetString() != "RS256")
                return (0, "A JSON web token could not be decoded");

            var claims = payload.RootElement;
            if (!claims.TryGetProperty("iss", out var iss))
                return (0, "'Issuer' claim ('iss') must be an Integer");
            var appId = iss.ValueKind == JsonValueKind.Number ? iss.GetInt64() : long.Parse(iss.GetString() ?? "", CultureInfo.InvariantCulture);
            if (!_apps.TryGetValue(appId, out var app))
                return (0, "Integration not found");

            var signed = Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]);
            if (!app.PublicKey.VerifyData(signed, Base64UrlDecode(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
                return (0, "A JSON web token could not be decoded");

            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var exp = claims.GetProperty("exp").GetInt64();
            var iat = claims.GetProperty("iat").GetInt64();
            if (exp <= now)
                return (0, "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires");
            if (exp > now + 600 + 30)
                return (0, "'Expiration time' claim ('exp') is too far in the future");
            if (iat > now + 30)
                return (0, "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued");
            return (appId, null);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or KeyNotFoundException or InvalidOperationException or OverflowException)
        {
            return (0, "A JSON web token could not be decoded");
        }
    }

    private static byte[] Base64UrlDecode(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", _ => "" };
        return Convert.FromBase64String(padded);
    }

    /// <summary>Resolves the installation token and the repository it must see; null result means allowed.</summary>
    private IResult? Authorize(HttpContext context, string owner, string repo, out SimulatedRepository repository, out SimulatedInstallation installation)
    {
        repository = null!;
        installation = null!;
        var authorization = context.Request.Headers.Authorization.ToString();
        var space = authorization.IndexOf(' ', StringComparison.Ordinal);
        var scheme = space < 0 ? "" : authorization[..space];
        if (!scheme.Equals("token", StringComparison.OrdinalIgnoreCase) && !scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
            return Error(401, "Requires authentication");
        if (!_tokens.TryGetValue(authorization[(space + 1)..].Trim(), out var token) || token.ExpiresAt <= DateTimeOffset.UtcNow)
            return Error(401, "Bad credentials");
        if (!_repositories.TryGetValue($"{owner}/{repo}", out var found) || found.InstallationId != token.InstallationId)
            return Error(404, "Not Found");
        repository = found;
        installation = _installations[token.InstallationId];
        return null;
    }

    // ---- Pull requests ---------------------------------------------------------------------------------

    private IResult GetPull(HttpContext context, string owner, string repo, int number)
    {
        lock (_gate)
        {
            if (Authorize(context, owner, repo, out var repository, out _) is { } denied)
                return denied;
            if (!repository.Pulls.TryGetValue(number, out var pull))
                return Error(404, "Not Found");
            var repoJson = RepoJson(repository);
            return Results.Json(
                new
                {
                    pull.Id,
                    Number = pull.Number,
                    pull.State,
                    pull.Title,
                    Body = "",
                    pull.Draft,
                    Merged = false,
                    User = UserJson(pull.Author),
                    Head = new { Label = $"{repository.Owner}:{pull.HeadRef}", Ref = pull.HeadRef, Sha = pull.HeadSha, Repo = repoJson },
                    Base = new { Label = $"{repository.Owner}:{pull.BaseRef}", Ref = pull.BaseRef, Sha = pull.BaseSha, Repo = repoJson },
                    Url = $"{ApiUrl}repos/{repository.FullName}/pulls/{number}",
                    HtmlUrl = $"https://github.com/{repository.FullName}/pull/{number}",
                },
                Json);
        }
    }

    private IResult ListPullFiles(HttpContext context, string owner, string repo, int number)
    {
        lock (_gate)
        {
            if (Authorize(context, owner, repo, out var repository, out _) is { } denied)
                return denied;
            if (!repository.Pulls.TryGetValue(number, out var pull))
                return Error(404, "Not Found");
            // GitHub lists at most 3000 files of a pull request.
            return Paginate(context, pull.Files.Take(3000).Select(FileJson).ToList());
        }
    }

    private IResult Compare(HttpContext context, string owner, string repo, string basehead)
    {
        lock (_gate)
        {
            if (Authorize(context, owner, repo, out var repository, out _) is { } denied)
                return denied;
            var separator = basehead.IndexOf("...", StringComparison.Ordinal);
            if (separator <= 0)
                return Error(404, "Not Found");
            var (baseSha, headSha) = (basehead[..separator], basehead[(separator + 3)..]);
            if (!repository.Compares.TryGetValue((baseSha, headSha), out var files))
                return Error(404, $"No common ancestor between {baseSha} and {headSha}.");
            return Results.Json(
                new
                {
                    Status = "ahead",
                    AheadBy = 1,
                    BehindBy = 0,
                    TotalCommits = 1,
                    Commits = Array.Empty<object>(),
                    Files = files.Select(FileJson).ToList(),
                },
                Json);
        }
    }

    private IResult GetContent(HttpContext context, string owner, string repo, string path)
    {
        lock (_gate)
        {
            if (Authorize(context, owner, repo, out var repository, out _) is { } denied)
                return denied;
            var gitRef = context.Request.Query["ref"].ToString();
            if (gitRef.Length == 0)
                gitRef = repository.DefaultBranch;
            if (!repository.Contents.TryGetValue((gitRef, path), out var content))
                return Error(404, "Not Found");
            var bytes = Encoding.UTF8.GetBytes(content);
            // GitHub wraps base64 content at 60 characters.
            var base64 = Convert.ToBase64String(bytes);
            var wrapped = string.Join('\n', Enumerable.Range(0, (base64.Length + 59) / 60).Select(i => base64.Substring(i * 60, Math.Min(60, base64.Length - i * 60))));
            return Results.Json(
                new
                {
                    Type = "file",
                    Encoding = "base64",
                    Size = bytes.Length,
                    Name = path.Split('/')[^1],
                    Path = path,
                    Content = wrapped + "\n",
                    Sha = GitObjectId(bytes),
                },
                Json);
        }
    }

    private IResult GetPermission(HttpContext context, string owner, string repo, string username)
    {
        lock (_gate)
        {
            if (Authorize(context, owner, repo, out var repository, out _) is { } denied)
                return denied;
            var role = repository.Permissions.GetValueOrDefault(username, "none");
            // GitHub reports the legacy permission (admin/write/read/none) and the fine role separately.
            var permission = role switch { "maintain" => "write", "triage" => "read", _ => role };
            return Results.Json(new { Permission = permission, RoleName = role, User = UserJson(username) }, Json);
        }
    }

    // ---- Check runs ------------------------------------------------------------------------------------

    private async Task<IResult> CreateCheckRunAsync(HttpContext context, string owner, string repo)
    {
        var (body, bad) = await ReadJsonAsync(context);
        if (bad is not null)
            return bad;
        lock (_gate)
        {
            if (Authorize(context, owner, repo, out var repository, out var installation) is { } denied)
                return denied;
            if (!installation.Grants("checks", "write"))
                return Error(403, "Resource not accessible by integration", "https://docs.github.com/rest/checks/runs#create-a-check-run");
            var name = body?["name"]?.GetValue<string>();
            var headSha = body?["head_sha"]?.GetValue<string>();
            if (string.IsNullOrEmpty(name) || string.IsNullOrEmpty(headSha))
                return Unprocessable("Invalid request.\n\n\"name\" and \"head_sha\" are required.");
            var run = new SimulatedCheckRun
            {
                Id = NextId(),
                AppId = installation.AppId,
                Repository = repository.FullName,
                Name = name,
                HeadSha = headSha,
                Status = body?["status"]?.GetValue<string>() ?? "queued",
                Conclusion = body?["conclusion"]?.GetValue<string>(),
                Title = body?["output"]?["title"]?.GetValue<string>(),
                Summary = body?["output"]?["summary"]?.GetValue<string>(),
                Text = body?["output"]?["text"]?.GetValue<string>(),
            };
            repository.CheckRuns.Add(run);
            return Results.Json(CheckRunJson(run), Json, statusCode: 201);
        }
    }

    /// <summary>GET /repos/{o}/{r}/commits/{ref}/check-runs, with the check_name and app_id filters.</summary>
    private IResult ListCheckRunsForRef(HttpContext context, string owner, string repo, string gitRef)
    {
        lock (_gate)
        {
            if (Authorize(context, owner, repo, out var repository, out var installation) is { } denied)
                return denied;
            if (!installation.Grants("checks", "read"))
                return Error(403, "Resource not accessible by integration", "https://docs.github.com/rest/checks/runs#list-check-runs-for-a-git-reference");
            var name = context.Request.Query["check_name"].ToString();
            var appId = context.Request.Query["app_id"].ToString();
            var runs = repository.CheckRuns
                .Where(run => run.HeadSha == gitRef)
                .Where(run => name.Length == 0 || run.Name == name)
                .Where(run => appId.Length == 0 || run.AppId?.ToString(CultureInfo.InvariantCulture) == appId)
                .OrderByDescending(run => run.Id)
                .Select(CheckRunJson)
                .ToList();
            return Results.Json(new { TotalCount = runs.Count, CheckRuns = runs }, Json);
        }
    }

    private async Task<IResult> UpdateCheckRunAsync(HttpContext context, string owner, string repo, long id)
    {
        var (body, bad) = await ReadJsonAsync(context);
        if (bad is not null)
            return bad;
        lock (_gate)
        {
            if (Authorize(context, owner, repo, out var repository, out var installation) is { } denied)
                return denied;
            if (!installation.Grants("checks", "write"))
                return Error(403, "Resource not accessible by integration", "https://docs.github.com/rest/checks/runs#update-a-check-run");
            var index = repository.CheckRuns.FindIndex(run => run.Id == id);
            if (index < 0)
                return Error(404, "Not Found");
            var run = repository.CheckRuns[index];
            run = run with
            {
                Name = body?["name"]?.GetValue<string>() ?? run.Name,
                Status = body?["status"]?.GetValue<string>() ?? (body?["conclusion"] is not null ? "completed" : run.Status),
                Conclusion = body?["conclusion"]?.GetValue<string>() ?? run.Conclusion,
                Title = body?["output"]?["title"]?.GetValue<string>() ?? run.Title,
                Summary = body?["output"]?["summary"]?.GetValue<string>() ?? run.Summary,
                Text = body?["output"]?["text"]?.GetValue<string>() ?? run.Text,
            };
            repository.CheckRuns[index] = run;
            return Results.Json(CheckRunJson(run), Json);
        }
    }

    // ---- Reviews ---------------------------------------------------------------------------------------

    private IResult ListReviews(HttpContext context, string owner, string repo, int number)
    {
        lock (_gate)
        {
            if (Authorize(context, owner, repo, out var repository, out _) is { } denied)
                return denied;
            if (!repository.Pulls.TryGetValue(number, out var pull))
                return Error(404, "Not Found");
            return Paginate(context, pull.Reviews.Select(ReviewJson).ToList());
        }
    }

    private IResult ListReviewComments(HttpContext context, string owner, string repo, int number, long reviewId)
    {
        lock (_gate)
        {
            if (Authorize(context, owner, repo, out var repository, out _) is { } denied)
                return denied;
            if (!repository.Pulls.TryGetValue(number, out var pull))
                return Error(404, "Not Found");
            var review = pull.Reviews.Find(r => r.Id == reviewId);
            if (review is null)
                return Error(404, "Not Found");
            return Paginate(context, review.Comments.Select(c => CommentJson(c, review.UserLogin)).ToList());
        }
    }

    private IResult ListPullComments(HttpContext context, string owner, string repo, int number)
    {
        lock (_gate)
        {
            if (Authorize(context, owner, repo, out var repository, out _) is { } denied)
                return denied;
            if (!repository.Pulls.TryGetValue(number, out var pull))
                return Error(404, "Not Found");
            return ListPullCommentsConditional(context, pull);
        }
    }

    private async Task<IResult> CreateReviewAsync(HttpContext context, string owner, string repo, int number)
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
            if (!installation.Grants("pull_requests", "write"))
                return Error(403, "Resource not accessible by integration", ReviewDocs);

            var commitId = body?["commit_id"]?.GetValue<string>() ?? pull.HeadSha;
            if (!pull.FilesByHead.TryGetValue(commitId, out var files))
                return Unprocessable($"No commit found for SHA: {commitId}");
            var reviewEvent = body?["event"]?.GetValue<string>() ?? "PENDING";
            var reviewBody = body?["body"]?.GetValue<string>() ?? "";
            var commentNodes = body?["comments"]?.AsArray() ?? [];
            if (reviewEvent is not ("COMMENT" or "APPROVE" or "REQUEST_CHANGES" or "PENDING"))
                return Unprocessable($"Invalid event: {reviewEvent}");
            if (reviewEvent is "COMMENT" or "REQUEST_CHANGES" && reviewBody.Length == 0 && commentNodes.Count == 0)
                return Unprocessable("Body is required for this event.");

            var problems = new List<string>();
            var accepted = new List<(string Path, int Line, string Side, int? StartLine, string? StartSide, string Body)>();
            foreach (var node in commentNodes)
            {
                var problem = CheckComment(node, files, out var comment);
                if (problem is null)
                    accepted.Add(comment);
                else if (!problems.Contains(problem))
                    problems.Add(problem);
            }
            if (problems.Count > 0)
                return Unprocessable(JoinLikeGitHub(problems));

            var reviewId = NextId();
            var app = _tokens.Values.First(t => t.InstallationId == installation.Id).AppId;
            var login = (_apps.TryGetValue(app, out var registered) ? registered.Slug : "app") + "[bot]";
            var review = new SimulatedReview
            {
                Id = reviewId,
                Repository = repository.FullName,
                PullNumber = number,
                CommitId = commitId,
                Body = reviewBody,
                Event = reviewEvent,
                State = reviewEvent switch { "APPROVE" => "APPROVED", "REQUEST_CHANGES" => "CHANGES_REQUESTED", "PENDING" => "PENDING", _ => "COMMENTED" },
                UserLogin = login,
                Comments = accepted.Select(c => new SimulatedReviewComment
                {
                    Id = NextId(), ReviewId = reviewId, Path = c.Path, Line = c.Line, Side = c.Side, StartLine = c.StartLine,
                    StartSide = c.StartSide, Body = c.Body, CommitId = commitId,
                }).ToList(),
            };
            pull.Reviews.Add(review);
            return Results.Json(ReviewJson(review), Json);
        }
    }

    /// <summary>One comment of a review against the files at the review's commit; null when GitHub would accept it.</summary>
    private static string? CheckComment(
        JsonNode? node, IReadOnlyList<SimulatedFile> files,
        out (string Path, int Line, string Side, int? StartLine, string? StartSide, string Body) comment)
    {
        comment = default;
        var path = node?["path"]?.GetValue<string>();
        var body = node?["body"]?.GetValue<string>();
        if (string.IsNullOrEmpty(path))
            return "Pull request review thread path can't be blank";
        if (string.IsNullOrEmpty(body))
            return "Pull request review thread body can't be blank";
        if (node?["line"] is null)
            return "Pull request review thread line can't be blank";

        var line = node["line"]!.GetValue<int>();
        var side = node["side"]?.GetValue<string>() ?? "RIGHT";
        var startLine = node["start_line"]?.GetValue<int>();
        var startSide = node["start_side"]?.GetValue<string>() ?? (startLine is null ? null : side);
        if (side is not ("LEFT" or "RIGHT") || startSide is not (null or "LEFT" or "RIGHT"))
            return "Pull request review thread side is invalid";

        var file = files.FirstOrDefault(f => f.Filename == path);
        if (file is null)
            return "Pull request review thread path is invalid";
        var patch = SimulatedPatch.Parse(file.Patch);
        if (!patch.TryFind(side, line, out var hunk, out var position))
            return "Pull request review thread line must be part of the diff";
        if (startLine is { } start)
        {
            if (!patch.TryFind(startSide!, start, out var startHunk, out var startPosition) || startHunk != hunk)
                return "Pull request review thread start line must be part of the same hunk as the line.";
            if (startPosition >= position && !(startSide != side && startPosition == position))
                return "Pull request review thread start line must precede the end line.";
        }
        comment = (path, line, side, startLine, startSide, body);
        return null;
    }

    /// <summary>GitHub joins thread errors into one sentence: "a, b, and c".</summary>
    private static string JoinLikeGitHub(List<string> problems) => problems.Count switch
    {
        1 => problems[0],
        2 => $"{problems[0]} and {problems[1]}",
        _ => string.Join(", ", problems[..^1]) + ", and " + problems[^1],
    };

    // ---- JSON shapes -----------------------------------------------------------------------------------

    private static async Task<(JsonNode? Body, IResult? Bad)> ReadJsonAsync(HttpContext context)
    {
        try
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var text = await reader.ReadToEndAsync(context.RequestAborted);
            return (text.Length == 0 ? null : JsonNode.Parse(text), null);
        }
        catch (JsonException)
        {
            return (null, Error(400, "Problems parsing JSON"));
        }
    }

    private static IResult Error(int status, string message, string documentationUrl = "https://docs.github.com/rest") =>
        Results.Json(new { Message = message, DocumentationUrl = documentationUrl, Status = status.ToString(CultureInfo.InvariantCulture) }, Json, statusCode: status);

    private static IResult Unprocessable(string error) =>
        Results.Json(
            new { Message = "Unprocessable Entity", Errors = new[] { error }, DocumentationUrl = ReviewDocs, Status = "422" },
            Json,
            statusCode: 422);

    /// <summary>GitHub pagination: per_page (default 30, at most 100), page, and a Link header.</summary>
    private static IResult Paginate<T>(HttpContext context, IReadOnlyList<T> items)
    {
        var perPage = int.TryParse(context.Request.Query["per_page"], CultureInfo.InvariantCulture, out var requested) && requested > 0
            ? Math.Min(requested, 100)
            : 30;
        var page = int.TryParse(context.Request.Query["page"], CultureInfo.InvariantCulture, out var p) && p > 0 ? p : 1;
        var last = Math.Max(1, (items.Count + perPage - 1) / perPage);
        var request = context.Request;
        string Link(int target, string rel) =>
            $"<{request.Scheme}://{request.Host}{request.PathBase}{request.Path}?per_page={perPage}&page={target}>; rel=\"{rel}\"";
        var links = new List<string>();
        if (page < last)
            links.AddRange([Link(page + 1, "next"), Link(last, "last")]);
        if (page > 1)
            links.AddRange([Link(1, "first"), Link(page - 1, "prev")]);
        if (links.Count > 0)
            context.Response.Headers.Link = string.Join(", ", links);
        return Results.Json(items.Skip((page - 1) * perPage).Take(perPage).ToList(), Json);
    }

    /// <summary>A 40-hex id shaped like git's (SHA-256 cut short: nothing here needs git's exact hash).</summary>
    private static string GitObjectId(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes))[..40].ToLowerInvariant();

    private static object UserJson(string login) => new
    {
        Login = login,
        Id = Math.Abs((long)StringComparer.Ordinal.GetHashCode(login)),
        Type = login.EndsWith("[bot]", StringComparison.Ordinal) ? "Bot" : "User",
    };

    private static object RepoJson(SimulatedRepository repository) => new
    {
        repository.Id,
        repository.Name,
        repository.FullName,
        Owner = UserJson(repository.Owner),
        Private = true,
        repository.DefaultBranch,
    };

    private static object FileJson(SimulatedFile file) => new Dictionary<string, object?>
    {
        ["sha"] = GitObjectId(Encoding.UTF8.GetBytes(file.Filename + file.Patch)),
        ["filename"] = file.Filename,
        ["status"] = file.Status,
        ["additions"] = file.Additions,
        ["deletions"] = file.Deletions,
        ["changes"] = file.Additions + file.Deletions,
        ["patch"] = file.Patch,
        ["previous_filename"] = file.PreviousFilename,
    }.Where(pair => pair.Value is not null).ToDictionary();

    private static object CheckRunJson(SimulatedCheckRun run) => new
    {
        run.Id,
        run.Name,
        run.HeadSha,
        run.Status,
        run.Conclusion,
        Output = new { run.Title, run.Summary, run.Text },
        App = new { Id = run.AppId ?? 0 },
    };

    private static object ReviewJson(SimulatedReview review) => new
    {
        review.Id,
        User = UserJson(review.UserLogin),
        review.Body,
        review.State,
        review.CommitId,
        SubmittedAt = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        AuthorAssociation = "NONE",
    };

    private static object CommentJson(SimulatedReviewComment comment, string login) => new
    {
        comment.Id,
        PullRequestReviewId = comment.ReviewId,
        comment.Path,
        comment.Line,
        comment.Side,
        comment.StartLine,
        comment.StartSide,
        OriginalLine = comment.Line,
        comment.Body,
        comment.CommitId,
        OriginalCommitId = comment.CommitId,
        User = UserJson(login),
        SubjectType = "line",
    };
}
