using System.Collections.Concurrent;
using CriticBot.GitHub;
using CriticBot.Testing.GitHub;
using Microsoft.Extensions.Logging;

namespace CriticBot.Tests.GitHub;

/// <summary>The simulator with one app, one installation and one repository, and the product wired to it.</summary>
internal sealed class GitHubHarness : IAsyncDisposable
{
    public const long AppId = 4242;
    public const long InstallationId = 77;
    public static readonly RepoRef Repo = new("acme", "widgets");
    public const string RepoName = "acme/widgets";

    private GitHubHarness(GitHubSimulator simulator, string privateKeyPem)
    {
        Simulator = simulator;
        PrivateKeyPem = privateKeyPem;
    }

    public GitHubSimulator Simulator { get; }
    public string PrivateKeyPem { get; }
    public CapturingLoggerFactory Logs { get; } = new();

    public GitHubResilienceOptions Resilience { get; } = new()
    {
        MaxAttempts = 4,
        BaseBackoff = TimeSpan.FromMilliseconds(10),
        MinimumWriteInterval = TimeSpan.FromMilliseconds(5),
        MaxWait = TimeSpan.FromSeconds(5),
    };

    private readonly List<IDisposable> _owned = [];

    public static async Task<GitHubHarness> StartAsync(IReadOnlyDictionary<string, string>? permissions = null)
    {
        var simulator = await GitHubSimulator.StartAsync();
        var pem = simulator.RegisterApp(AppId);
        simulator.AddInstallation(InstallationId, "acme", permissions, AppId);
        simulator.AddRepository("acme", "widgets", InstallationId);
        return new GitHubHarness(simulator, pem);
    }

    public GitHubAppOptions Options(Uri? apiUrl = null, string? pem = null) => new()
    {
        AppId = AppId,
        PrivateKeyPem = pem ?? PrivateKeyPem,
        ApiUrl = apiUrl ?? Simulator.ApiUrl,
    };

    public (IGitHubGateway Gateway, InstallationTokenProvider Tokens, ReviewPublisher Publisher) Product(GitHubAppOptions? options = null)
    {
        options ??= Options();
        var jwt = new GitHubAppJwt(options);
        var tokens = new InstallationTokenProvider(options, jwt, Resilience, TimeProvider.System, Logs.CreateLogger<InstallationTokenProvider>());
        var factory = new GitHubClientFactory(options, tokens, Resilience, TimeProvider.System, Logs.CreateLogger<GitHubClientFactory>());
        _owned.AddRange([factory, tokens, jwt]);
        var gateway = new GitHubGateway(factory, Logs.CreateLogger<GitHubGateway>());
        return (gateway, tokens, new ReviewPublisher(gateway, Logs.CreateLogger<ReviewPublisher>()));
    }

    /// <summary>A PR with the given files at head "head1", base "base1".</summary>
    public void OpenPull(int number, params SimulatedFile[] files) =>
        Simulator.OpenPullRequest(RepoName, number, "main", "base1", "head1", files);

    public async ValueTask DisposeAsync()
    {
        foreach (var owned in _owned)
            owned.Dispose();
        await Simulator.DisposeAsync();
    }
}

/// <summary>Keeps every formatted log line, so tests can check what reaches the logs (and what never does).</summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory
{
    public ConcurrentQueue<(LogLevel Level, string Category, string Message)> Entries { get; } = new();

    public ILogger<T> CreateLogger<T>() => new Logger<T>(this);

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    public string AllText => string.Join("\n", Entries.Select(e => e.Message));

    private sealed class CapturingLogger(CapturingLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((logLevel, category, formatter(state, exception) + (exception is null ? "" : " " + exception)));
    }
}
