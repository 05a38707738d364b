using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Octokit;

namespace CriticBot.GitHub;

/// <summary>Octokit for one installation: the typed client and the raw API connection, sharing one handler chain.</summary>
public sealed class GitHubInstallationClient
{
    public required long InstallationId { get; init; }
    public required IGitHubClient Client { get; init; }
    public required IApiConnection Api { get; init; }

    /// <summary>Raw HTTP over the same handler chain (rate limits, token refresh), for conditional requests Octokit cannot send.</summary>
    public required HttpMessageInvoker Http { get; init; }

    /// <summary>The API root requests are relative to.</summary>
    public required Uri BaseAddress { get; init; }
}

/// <summary>
/// One cached Octokit client per installation, at the configured base address, product header "CriticBot",
/// over <see cref="GitHubRateLimitHandler"/> (so rate limits and spacing are per installation) and a shared socket pool.
/// </summary>
public sealed class GitHubClientFactory : IDisposable
{
    private readonly GitHubAppOptions _options;
    private readonly InstallationTokenProvider _tokens;
    private readonly GitHubResilienceOptions _resilience;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HttpMessageHandler _sockets;
    private readonly CriticBot.Observability.CriticBotMetrics? _metrics;
    private readonly ConcurrentDictionary<long, Lazy<GitHubInstallationClient>> _clients = new();

    public GitHubClientFactory(
        GitHubAppOptions options, InstallationTokenProvider tokens, GitHubResilienceOptions resilience, TimeProvider time,
        ILogger<GitHubClientFactory> logger, HttpMessageHandler? innerHandler = null, CriticBot.Observability.CriticBotMetrics? metrics = null)
    {
        _metrics = metrics;
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _tokens = tokens ?? throw new ArgumentNullException(nameof(tokens));
        _resilience = resilience ?? throw new ArgumentNullException(nameof(resilience));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _sockets = innerHandler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
    }

    public InstallationTokenProvider Tokens => _tokens;

    public long AppId => _options.AppId;

    public GitHubInstallationClient ForInstallation(long installationId) =>
        _clients.GetOrAdd(installationId, id => new Lazy<GitHubInstallationClient>(() => Create(id))).Value;

    public void Dispose() => _sockets.Dispose();

    private GitHubInstallationClient Create(long installationId)
    {
        // The shared socket handler must outlive each chain, so the chains are never disposed (they live as long as we do).
        var handler = new GitHubRateLimitHandler(_resilience, _time, _logger, spaceWrites: true, metrics: _metrics)
        {
            InnerHandler = new TokenRefreshHandler(_tokens, installationId) { InnerHandler = new NonDisposingHandler(_sockets) },
        };
        var credentials = new GitHubConnections.DynamicCredentialStore(
            async () => new Credentials(await _tokens.GetTokenAsync(installationId), AuthenticationType.Bearer));
        var connection = GitHubConnections.Create(_options.ApiUrl, credentials, handler);
        return new GitHubInstallationClient
        {
            InstallationId = installationId,
            Client = new GitHubClient(connection),
            Api = new ApiConnection(connection),
            Http = new HttpMessageInvoker(handler, disposeHandler: false),
            BaseAddress = GitHubAppOptions.ToBaseAddress(_options.ApiUrl),
        };
    }

    /// <summary>Lets several chains share one socket pool without one chain's disposal closing it for the others.</summary>
    private sealed class NonDisposingHandler(HttpMessageHandler shared) : HttpMessageHandler
    {
        private readonly HttpMessageInvoker _invoker = new(shared, disposeHandler: false);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            _invoker.SendAsync(request, cancellationToken);
    }
}
