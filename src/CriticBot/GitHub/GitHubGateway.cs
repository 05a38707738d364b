using System.Net;
using System.Text;
using System.Text.Json;
using CriticBot.Engine.Diff;
using Microsoft.Extensions.Logging;
using Octokit;

namespace CriticBot.GitHub;

/// <summary><see cref="IGitHubGateway"/> over Octokit, one cached client per installation.</summary>
public sealed partial class GitHubGateway(GitHubClientFactory clients, ILogger<GitHubGateway> logger) : IGitHubGateway
{
    private static readonly ApiOptions AllPages = new() { PageSize = 100 };

    public async Task<PullRequestInfo?> GetPullRequestAsync(long installationId, RepoRef repo, int number, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repo);
        var client = Start(installationId, cancellationToken);
        try
        {
            var pull = await client.Client.PullRequest.Get(repo.Owner, repo.Name, number).WaitAsync(cancellationToken);
            return new PullRequestInfo
            {
                Number = pull.Number,
                HeadSha = pull.Head?.Sha ?? "",
                HeadRef = pull.Head?.Ref ?? "",
                BaseSha = pull.Base?.Sha ?? "",
                BaseRef = pull.Base?.Ref ?? "",
                DefaultBranch = pull.Base?.Repository?.DefaultBranch ?? "",
                Draft = pull.Draft,
                State = pull.State.StringValue ?? "",
                AuthorLogin = pull.User?.Login ?? "",
                Title = pull.Title ?? "",
            };
        }
        catch (NotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (Translate(installationId, $"GET pull {repo}#{number}", ex, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    public async Task<IReadOnlyList<ChangedFile>> ListPullRequestFilesAsync(long installationId, RepoRef repo, int number, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repo);
        var client = Start(installationId, cancellationToken);
        try
        {
            var files = await client.Api
                .GetAll<ChangedFileResponse>(RepoUri(repo, $"pulls/{number}/files"), new Dictionary<string, string>(), AllPages)
                .WaitAsync(cancellationToken);
            return files.Select(ToChangedFile).ToList();
        }
        catch (Exception ex) when (Translate(installationId, $"GET files of {repo}#{number}", ex, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    public async Task<IReadOnlyList<ChangedFile>> CompareAsync(long installationId, RepoRef repo, string baseSha, string headSha, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repo);
        var client = Start(installationId, cancellationToken);
        try
        {
            var basehead = $"{Uri.EscapeDataString(baseSha)}...{Uri.EscapeDataString(headSha)}";
            var comparison = await client.Api.Get<CompareResponse>(RepoUri(repo, $"compare/{basehead}")).WaitAsync(cancellationToken);
            return (comparison.Files ?? []).Select(ToChangedFile).ToList();
        }
        catch (Exception ex) when (Translate(installationId, $"GET compare {repo} {baseSha}...{headSha}", ex, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    public async Task<string?> GetFileContentAsync(long installationId, RepoRef repo, string path, string gitRef, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repo);
        ArgumentNullException.ThrowIfNull(path);
        var client = Start(installationId, cancellationToken);
        try
        {
            var escapedPath = string.Join('/', path.Split('/').Select(Uri.EscapeDataString));
            var content = await client.Api
                .Get<ContentResponse>(RepoUri(repo, $"contents/{escapedPath}"),
                    // No ref: GitHub reads the repository's default branch.
                    gitRef.Length == 0 ? new Dictionary<string, string>() : new Dictionary<string, string> { ["ref"] = gitRef })
                .WaitAsync(cancellationToken);
            if (content is not { Type: "file", Encoding: "base64", Content: { } base64 })
            {
                // Directories, submodules, symlinks, and files over 1 MB (encoding "none") have no inline text.
                LogNoInlineContent(logger, repo, path, content?.Type, content?.Encoding);
                return null;
            }
            // GitHub wraps the base64 at 60 characters; Convert skips the line breaks.
            return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
        }
        catch (NotFoundException)
        {
            return null;
        }
        catch (FormatException ex)
        {
            throw new GitHubRequestException($"GitHub sent content of {repo}:{path} that is not valid base64.", HttpStatusCode.OK, ex);
        }
        catch (Exception ex) when (Translate(installationId, $"GET contents {repo}:{path}", ex, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    public async Task<string> GetPermissionAsync(long installationId, RepoRef repo, string login, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repo);
        var client = Start(installationId, cancellationToken);
        try
        {
            var permission = await client.Api
                .Get<PermissionResponse>(RepoUri(repo, $"collaborators/{Uri.EscapeDataString(login)}/permission"))
                .WaitAsync(cancellationToken);
            return string.IsNullOrEmpty(permission.Permission) ? "none" : permission.Permission;
        }
        catch (NotFoundException)
        {
            // No such user: no access.
            return "none";
        }
        catch (Exception ex) when (Translate(installationId, $"GET permission of {login} in {repo}", ex, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    public async Task<IReadOnlyList<ReviewSummary>> ListReviewsAsync(long installationId, RepoRef repo, int number, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repo);
        var client = Start(installationId, cancellationToken);
        try
        {
            var reviews = await client.Client.PullRequest.Review.GetAll(repo.Owner, repo.Name, number, AllPages).WaitAsync(cancellationToken);
            return reviews.Select(review => new ReviewSummary
            {
                Id = review.Id,
                Body = review.Body ?? "",
                CommitId = review.CommitId,
                UserLogin = review.User?.Login,
                State = review.State.StringValue,
            }).ToList();
        }
        catch (Exception ex) when (Translate(installationId, $"GET reviews of {repo}#{number}", ex, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    public async Task<string> GetBotLoginAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await clients.Tokens.GetBotLoginAsync(cancellationToken);
        }
        catch (ApiException ex) when ((int)ex.StatusCode >= 500 || (int)ex.StatusCode == 429)
        {
            throw new GitHubTransientException($"GET /app: GitHub answered {(int)ex.StatusCode}.", ex.StatusCode, null, ex);
        }
        catch (ApiException ex)
        {
            throw new GitHubRequestException($"GET /app: GitHub answered {(int)ex.StatusCode}; check {GitHubAppOptions.AppIdSetting} and the private key.", ex.StatusCode, ex);
        }
    }

    public async Task<long?> FindCheckRunAsync(long installationId, RepoRef repo, string headSha, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repo);
        var client = Start(installationId, cancellationToken);
        try
        {
            var found = await client.Api.Get<CheckRunListResponse>(
                RepoUri(repo, $"commits/{Uri.EscapeDataString(headSha)}/check-runs"),
                new Dictionary<string, string>
                {
                    ["check_name"] = name,
                    ["app_id"] = clients.AppId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["filter"] = "latest",
                }).WaitAsync(cancellationToken);
            // A completed run is final; only one still open (an attempt that failed or died) is taken over.
            return found.CheckRuns.FirstOrDefault(run => run.Status != CheckRunStatus.Completed.ToWire())?.Id;
        }
        catch (ForbiddenException)
        {
            LogCheckRunForbidden(logger, repo, installationId);
            return null;
        }
        catch (Exception ex) when (Translate(installationId, $"GET check runs of {headSha} in {repo}", ex, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    public async Task<long?> CreateCheckRunAsync(long installationId, RepoRef repo, CheckRunDraft checkRun, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repo);
        ArgumentNullException.ThrowIfNull(checkRun);
        var client = Start(installationId, cancellationToken);
        try
        {
            var request = new CheckRunRequest
            {
                Name = checkRun.Name,
                HeadSha = checkRun.HeadSha,
                Status = checkRun.Status.ToWire(),
                Conclusion = checkRun.Conclusion?.ToWire(),
                Output = Output(checkRun.Title, checkRun.Summary, checkRun.Text, checkRun.Name),
            };
            var created = await client.Api.Post<CheckRunResponse>(RepoUri(repo, "check-runs"), request, cancellationToken);
            return created.Id;
        }
        catch (ForbiddenException)
        {
            LogCheckRunForbidden(logger, repo, installationId);
            return null;
        }
        catch (Exception ex) when (Translate(installationId, $"POST check run in {repo}", ex, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    public async Task UpdateCheckRunAsync(long installationId, RepoRef repo, long checkRunId, CheckRunUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repo);
        ArgumentNullException.ThrowIfNull(update);
        var client = Start(installationId, cancellationToken);
        try
        {
            var request = new CheckRunRequest
            {
                Status = update.Status?.ToWire(),
                Conclusion = update.Conclusion?.ToWire(),
                Output = Output(update.Title, update.Summary, update.Text, fallbackTitle: null),
            };
            await client.Api.Patch<CheckRunResponse>(RepoUri(repo, $"check-runs/{checkRunId}"), request).WaitAsync(cancellationToken);
        }
        catch (ForbiddenException)
        {
            LogCheckRunForbidden(logger, repo, installationId);
        }
        catch (Exception ex) when (Translate(installationId, $"PATCH check run {checkRunId} in {repo}", ex, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    public async Task<long> CreateReviewAsync(long installationId, RepoRef repo, int number, ReviewDraft draft, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repo);
        ArgumentNullException.ThrowIfNull(draft);
        var client = Start(installationId, cancellationToken);
        try
        {
            var request = new CreateReviewRequest
            {
                CommitId = draft.CommitId,
                Body = draft.Body,
                Event = "COMMENT",
                Comments = draft.Comments.Select(comment => new ReviewCommentRequest
                {
                    Path = comment.Path,
                    Line = comment.Line,
                    Side = SideName(comment.Side),
                    StartLine = comment.StartLine,
                    StartSide = comment.StartLine is null ? null : SideName(comment.StartSide ?? comment.Side),
                    Body = comment.Body,
                }).ToList(),
            };
            var review = await client.Api.Post<ReviewResponse>(RepoUri(repo, $"pulls/{number}/reviews"), request, cancellationToken);
            return review.Id;
        }
        catch (ApiValidationException ex)
        {
            var (message, errors) = ReadError(ex);
            throw new ReviewRejectedException(message, errors, ex);
        }
        catch (Exception ex) when (Translate(installationId, $"POST review on {repo}#{number}", ex, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    public async Task<IReadOnlyList<ReviewCommentInfo>> ListReviewCommentsAsync(long installationId, RepoRef repo, int number, long reviewId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(repo);
        var client = Start(installationId, cancellationToken);
        try
        {
            var comments = await client.Api
                .GetAll<ReviewCommentResponse>(RepoUri(repo, $"pulls/{number}/reviews/{reviewId}/comments"), new Dictionary<string, string>(), AllPages)
                .WaitAsync(cancellationToken);
            return comments.Select(comment => new ReviewCommentInfo
            {
                Id = comment.Id,
                Path = comment.Path,
                Line = comment.Line,
                Side = ParseSide(comment.Side) ?? DiffSide.Right,
                StartLine = comment.StartLine,
                StartSide = ParseSide(comment.StartSide),
                Body = comment.Body,
                CommitId = comment.CommitId,
            }).ToList();
        }
        catch (Exception ex) when (Translate(installationId, $"GET comments of review {reviewId} on {repo}#{number}", ex, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    internal static string SideName(DiffSide side) => side == DiffSide.Left ? "LEFT" : "RIGHT";

    internal static DiffSide? ParseSide(string? side) => side switch
    {
        "LEFT" => DiffSide.Left,
        "RIGHT" => DiffSide.Right,
        _ => null,
    };

    private GitHubInstallationClient Start(long installationId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return clients.ForInstallation(installationId);
    }

    private static Uri RepoUri(RepoRef repo, string rest) =>
        new($"repos/{Uri.EscapeDataString(repo.Owner)}/{Uri.EscapeDataString(repo.Name)}/{rest}", UriKind.Relative);

    private static ChangedFile ToChangedFile(ChangedFileResponse file) => new()
    {
        Filename = file.Filename,
        Status = file.Status,
        PreviousFilename = string.IsNullOrEmpty(file.PreviousFilename) ? null : file.PreviousFilename,
        Patch = file.Patch,
        Additions = file.Additions,
        Deletions = file.Deletions,
    };

    private static CheckRunOutput? Output(string? title, string? summary, string? text, string? fallbackTitle)
    {
        if (title is null && summary is null && text is null)
            return null;
        // GitHub requires both title and summary whenever output is sent.
        var resolvedTitle = title ?? fallbackTitle ?? summary ?? "CriticBot";
        return new CheckRunOutput { Title = resolvedTitle, Summary = summary ?? resolvedTitle, Text = text };
    }

    /// <summary>
    /// Maps Octokit's and the network's failures onto ours. Null means "let it through": our own exceptions from the
    /// handler, and cancellation the caller asked for.
    /// </summary>
    private Exception? Translate(long installationId, string what, Exception ex, CancellationToken cancellationToken)
    {
        switch (ex)
        {
            case GitHubTransientException or GitHubRequestException or ReviewRejectedException:
                return null;
            case OperationCanceledException when cancellationToken.IsCancellationRequested:
                return null;
            case OperationCanceledException:
                return new GitHubTransientException($"{what} timed out.", null, null, ex);
            case HttpRequestException:
                return new GitHubTransientException($"{what} failed: GitHub could not be reached ({ex.Message}).", null, null, ex);
            case AuthorizationException:
                // The token was revoked or expired early: drop it so the next attempt fetches a new one.
                clients.Tokens.Invalidate(installationId);
                return new GitHubTransientException($"{what}: GitHub answered 401; the installation token was dropped.", HttpStatusCode.Unauthorized, null, ex);
            case RateLimitExceededException or SecondaryRateLimitExceededException or AbuseException:
                return new GitHubTransientException($"{what}: rate limited by GitHub.", HttpStatusCode.Forbidden, null, ex);
            case ApiException api when (int)api.StatusCode >= 500 || (int)api.StatusCode == 429:
                return new GitHubTransientException($"{what}: GitHub answered {(int)api.StatusCode}.", api.StatusCode, null, ex);
            case ApiException api:
                return new GitHubRequestException($"{what}: GitHub answered {(int)api.StatusCode}: {ReadError(api).Message}", api.StatusCode, ex);
            default:
                return null;
        }
    }

    /// <summary>GitHub's error body: <c>message</c> and <c>errors</c> (strings, or objects with a message).</summary>
    private static (string Message, IReadOnlyList<string> Errors) ReadError(ApiException ex)
    {
        if (ex.HttpResponse?.Body is string { Length: > 0 } body)
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                var root = document.RootElement;
                var message = root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() ?? "" : "";
                var errors = new List<string>();
                if (root.TryGetProperty("errors", out var list) && list.ValueKind == JsonValueKind.Array)
                {
                    foreach (var error in list.EnumerateArray())
                    {
                        if (error.ValueKind == JsonValueKind.String)
                            errors.Add(error.GetString() ?? "");
                        else if (error.ValueKind == JsonValueKind.Object)
                            errors.Add(error.TryGetProperty("message", out var em) ? em.ToString() : error.ToString());
                    }
                }
                return (message.Length > 0 ? message : ex.Message, errors);
            }
            catch (JsonException)
            {
                // Not JSON: fall back to Octokit's reading.
            }
        }
        return (ex.Message, []);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Repo}: GitHub answered 403 to a check run for installation {InstallationId} (no checks:write); a 403 there is not an error")]
    private static partial void LogCheckRunForbidden(ILogger logger, RepoRef repo, long installationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Repo}:{Path} has no inline content (type {Type}, encoding {Encoding})")]
    private static partial void LogNoInlineContent(ILogger logger, RepoRef repo, string path, string? type, string? encoding);
}
