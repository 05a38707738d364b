using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Octokit;

namespace CriticBot.GitHub;

/// <summary>
/// Installation access tokens, one cache entry per installation: renewed when less than
/// <see cref="GitHubResilienceOptions.TokenRenewalMargin"/> is left, with at most one fetch in flight per installation.
/// </summary>
public sealed partial class InstallationTokenProvider : IDisposable
{
    private readonly GitHubAppJwt _jwt;
    private readonly GitHubResilienceOptions _resilience;
    private readonly TimeProvider _time;
    private readonly ILogger<InstallationTokenProvider> _logger;
    private readonly GitHubClient _appClient;
    private readonly HttpMessageHandler _handler;
    private readonly ConcurrentDictionary<long, Entry> _entries = new();

    public InstallationTokenProvider(
        GitHubAppOptions options, GitHubAppJwt jwt, GitHubResilienceOptions resilience, TimeProvider time,
        ILogger<InstallationTokenProvider> logger, HttpMessageHandler? innerHandler = null, CriticBot.Observability.CriticBotMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _jwt = jwt ?? throw new ArgumentNullException(nameof(jwt));
        _resilience = resilience ?? throw new ArgumentNullException(nameof(resilience));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        // App-level calls are few; they are not spaced, and asking for a token twice is harmless.
        _handler = new GitHubRateLimitHandler(resilience, time, logger, spaceWrites: false, retryPostsOnServerError: true, metrics)
        {
            InnerHandler = innerHandler ?? new SocketsHttpHandler(),
        };
        var credentials = new GitHubConnections.DynamicCredentialStore(
            () => Task.FromResult(new Credentials(_jwt.Create(_time.GetUtcNow()), AuthenticationType.Bearer)));
        _appClient = new GitHubClient(GitHubConnections.Create(options.ApiUrl, credentials, _handler));
    }

    /// <summary>
    /// The login of the App's own bot account ("slug[bot]"), asked of GitHub once (GET /app) and remembered:
    /// reviews by this account, and no other, are CriticBot's.
    /// </summary>
    public async Task<string> GetBotLoginAsync(CancellationToken cancellationToken = default)
    {
        var known = _botLogin;
        if (known is not null)
            return known;
        var app = await _appClient.GitHubApps.GetCurrent().WaitAsync(cancellationToken);
        return _botLogin = app.Slug + "[bot]";
    }

    private volatile string? _botLogin;

    /// <summary>A token for <paramref name="installationId"/> with more than the renewal margin left.</summary>
    public async ValueTask<string> GetTokenAsync(long installationId, CancellationToken cancellationToken = default)
    {
        var entry = _entries.GetOrAdd(installationId, static _ => new Entry());
        if (entry.Current is { } cached && IsFresh(cached))
            return cached.Token;

        await entry.Fetching.WaitAsync(cancellationToken);
        try
        {
            // Another caller may have fetched it while we waited.
            if (entry.Current is { } fetched && IsFresh(fetched))
                return fetched.Token;
            var token = await FetchAsync(installationId);
            entry.Current = token;
            LogTokenIssued(_logger, installationId, token.ExpiresAt);
            return token.Token;
        }
        finally
        {
            entry.Fetching.Release();
        }
    }

    /// <summary>Forgets the cached token, e.g. after GitHub answered 401 to it.</summary>
    public void Invalidate(long installationId)
    {
        if (_entries.TryGetValue(installationId, out var entry))
            entry.Current = null;
    }

    public void Dispose()
    {
        _handler.Dispose();
        foreach (var entry in _entries.Values)
            entry.Fetching.Dispose();
    }

    private bool IsFresh(CachedToken token) => token.ExpiresAt - _time.GetUtcNow() > _resilience.TokenRenewalMargin;

    private async Task<CachedToken> FetchAsync(long installationId)
    {
        try
        {
            var token = await _appClient.GitHubApps.CreateInstallationToken(installationId);
            return new CachedToken(token.Token, token.ExpiresAt);
        }
        catch (AuthorizationException ex)
        {
            throw new GitHubRequestException(
                $"GitHub rejected the App's JWT for installation {installationId} ({ex.Message}); check {GitHubAppOptions.AppIdSetting} and the private key.",
                HttpStatusCode.Unauthorized,
                ex);
        }
        catch (NotFoundException ex)
        {
            throw new GitHubRequestException($"GitHub knows no installation {installationId} of this App (uninstalled?).", HttpStatusCode.NotFound, ex);
        }
        catch (ApiException ex) when ((int)ex.StatusCode >= 500 || (int)ex.StatusCode == 429)
        {
            throw new GitHubTransientException($"GitHub answered {(int)ex.StatusCode} when issuing a token for installation {installationId}.", ex.StatusCode, null, ex);
        }
    }

    private sealed record CachedToken(string Token, DateTimeOffset ExpiresAt);

    private sealed class Entry
    {
        public SemaphoreSlim Fetching { get; } = new(1, 1);
        public volatile CachedToken? Current;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Installation {InstallationId}: new access token, expires {ExpiresAt:O}")]
    private static partial void LogTokenIssued(ILogger logger, long installationId, DateTimeOffset expiresAt);
}
