using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CriticBot.Testing.GitHub;

/// <summary>
/// A stateful GitHub REST server on 127.0.0.1 that enforces the rules CriticBot depends on:
/// App JWTs, installation tokens, repository visibility, review anchors, pagination, rate limits.
/// Serves its API both at <c>/</c> (github.com shape) and at <c>/api/v3/</c> (Enterprise Server shape).
/// </summary>
public sealed partial class GitHubSimulator : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    private readonly Lock _gate = new();
    private readonly Dictionary<long, SimulatedApp> _apps = [];
    private readonly Dictionary<long, SimulatedInstallation> _installations = [];
    private readonly Dictionary<string, SimulatedToken> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimulatedRepository> _repositories = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<InjectedFault> _faults = [];
    private readonly List<RecordedRequest> _requests = [];
    private readonly List<(long AppId, long InstallationId)> _tokenGrants = [];
    private long _nextId = 3_000_000_000; // above int.MaxValue on purpose: ids are 64-bit on GitHub
    private int _rateLimitRemaining = RateLimit;
    private DateTimeOffset _rateLimitReset = DateTimeOffset.UtcNow.AddHours(1);

    private const int RateLimit = 5000;
    private WebApplication? _app;

    private GitHubSimulator()
    {
    }

    /// <summary>The API root, e.g. <c>http://127.0.0.1:51234/</c>.</summary>
    public Uri ApiUrl { get; private set; } = null!;

    /// <summary>The Enterprise Server shaped root, e.g. <c>http://127.0.0.1:51234/api/v3</c>.</summary>
    public Uri EnterpriseApiUrl => new(ApiUrl, "api/v3");

    /// <summary>How long new installation tokens live (GitHub: one hour).</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    public static async Task<GitHubSimulator> StartAsync()
    {
        var simulator = new GitHubSimulator();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        simulator.MapApi(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        simulator.ApiUrl = new Uri(address.TrimEnd('/') + "/");
        simulator._app = app;
        return simulator;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
            await _app.DisposeAsync();
        lock (_gate)
        {
            foreach (var app in _apps.Values)
                app.PublicKey.Dispose();
        }
    }

    // ---- Arrange -------------------------------------------------------------------------------------

    /// <summary>Registers a GitHub App and returns its private key as GitHub issues it (PEM, PKCS#1).</summary>
    public string RegisterApp(long appId, string slug = "criticbot")
    {
        using var rsa = RSA.Create(2048);
        var pem = rsa.ExportRSAPrivateKeyPem();
        var publicKey = RSA.Create();
        publicKey.ImportRSAPublicKey(rsa.ExportRSAPublicKey(), out _);
        lock (_gate)
            _apps[appId] = new SimulatedApp { AppId = appId, Slug = slug, PublicKey = publicKey };
        return pem;
    }

    /// <summary>Adds an installation; <paramref name="appId"/> null means it belongs to any registered app.</summary>
    public void AddInstallation(long installationId, string account, IReadOnlyDictionary<string, string>? permissions = null, long? appId = null)
    {
        lock (_gate)
        {
            _installations[installationId] = new SimulatedInstallation
            {
                Id = installationId,
                Account = account,
                AppId = appId,
                Permissions = permissions ?? SimulatedPermissions.Default,
            };
        }
    }

    /// <summary>Adds <c>owner/name</c>, visible to <paramref name="installationId"/>; returns <c>owner/name</c>.</summary>
    public string AddRepository(string owner, string name, long installationId)
    {
        lock (_gate)
        {
            var repository = new SimulatedRepository { Id = NextId(), Owner = owner, Name = name, InstallationId = installationId };
            _repositories[repository.FullName] = repository;
            return repository.FullName;
        }
    }

    /// <summary>Sets a collaborator's role: admin, maintain, write, triage, read or none.</summary>
    public void SetPermission(string repo, string login, string permission)
    {
        lock (_gate)
            Repo(repo).Permissions[login] = permission;
    }

    public void SetFileContent(string repo, string gitRef, string path, string content)
    {
        lock (_gate)
            Repo(repo).Contents[(gitRef, path)] = content;
    }

    public void OpenPullRequest(
        string repo, int number, string baseRef, string baseSha, string headSha, IReadOnlyList<SimulatedFile> files,
        bool draft = false, string author = "octocat", string title = "A change", string headRef = "feature")
    {
        lock (_gate)
        {
            var repository = Repo(repo);
            var pull = new SimulatedPull
            {
                Id = NextId(), Number = number, Title = title, Author = author, BaseRef = baseRef, BaseSha = baseSha,
                HeadRef = headRef, HeadSha = headSha, Draft = draft,
            };
            pull.FilesByHead[headSha] = files;
            repository.Pulls[number] = pull;
            repository.Compares[(baseSha, headSha)] = files;
        }
    }

    /// <summary>A push to the PR: the new full file list, and what changed since the previous head.</summary>
    public void Push(string repo, int number, string newHeadSha, IReadOnlyList<SimulatedFile> files, IReadOnlyList<SimulatedFile> compareFiles)
    {
        lock (_gate)
        {
            var repository = Repo(repo);
            var pull = Pull(repository, number);
            repository.Compares[(pull.HeadSha, newHeadSha)] = compareFiles;
            repository.Compares[(pull.BaseSha, newHeadSha)] = files;
            pull.HeadSha = newHeadSha;
            pull.FilesByHead[newHeadSha] = files;
        }
    }

    public void SetCompare(string repo, string baseSha, string headSha, IReadOnlyList<SimulatedFile> files)
    {
        lock (_gate)
            Repo(repo).Compares[(baseSha, headSha)] = files;
    }

    /// <summary>A review by a person (not the App), as anyone with read access to the repository may post.</summary>
    public void AddUserReview(string repo, int number, string login, string commitId, string body)
    {
        lock (_gate)
        {
            var reviewId = NextId();
            Pull(Repo(repo), number).Reviews.Add(new SimulatedReview
            {
                Id = reviewId,
                Repository = repo,
                PullNumber = number,
                CommitId = commitId,
                Body = body,
                Event = "COMMENT",
                State = "COMMENTED",
                UserLogin = login,
                Comments = [],
            });
        }
    }

    public void SetDraft(string repo, int number, bool draft)
    {
        lock (_gate)
            Pull(Repo(repo), number).Draft = draft;
    }

    public void ClosePullRequest(string repo, int number)
    {
        lock (_gate)
            Pull(Repo(repo), number).State = "closed";
    }

    /// <summary>
    /// The next <paramref name="times"/> requests whose method is <paramref name="method"/> and whose path contains
    /// <paramref name="pathContains"/> get <paramref name="status"/> (checked before authentication and routing).
    /// </summary>
    public void FailNext(string method, string pathContains, int status, int times = 1, TimeSpan? retryAfter = null, string? body = null)
    {
        lock (_gate)
        {
            _faults.Add(new InjectedFault
            {
                Method = method, PathContains = pathContains, Status = status, Remaining = times, RetryAfter = retryAfter, Body = body,
            });
        }
    }

    /// <summary>Sets the primary rate limit; at 0 every API call answers 403 until <paramref name="resetIn"/> passes.</summary>
    public void SetRateLimitRemaining(int remaining, TimeSpan? resetIn = null)
    {
        lock (_gate)
        {
            _rateLimitRemaining = remaining;
            // GitHub resets on a whole second (x-ratelimit-reset is epoch seconds): round up, so the header tells the truth.
            var reset = DateTimeOffset.UtcNow + (resetIn ?? TimeSpan.FromHours(1));
            _rateLimitReset = DateTimeOffset.FromUnixTimeSeconds((long)Math.Ceiling(reset.ToUnixTimeMilliseconds() / 1000.0));
        }
    }

    /// <summary>Makes every installation token issued so far expire now.</summary>
    public void ExpireTokens()
    {
        lock (_gate)
        {
            foreach (var token in _tokens.Values)
                token.ExpiresAt = DateTimeOffset.UtcNow.AddSeconds(-1);
        }
    }

    public void SetInstallationPermissions(long installationId, IReadOnlyDictionary<string, string> permissions)
    {
        lock (_gate)
            _installations[installationId].Permissions = permissions;
    }

    // ---- Inspect -------------------------------------------------------------------------------------

    public IReadOnlyList<SimulatedReview> Reviews(string repo, int number)
    {
        lock (_gate)
            return [.. Pull(Repo(repo), number).Reviews];
    }

    public IReadOnlyList<SimulatedCheckRun> CheckRuns(string repo)
    {
        lock (_gate)
            return [.. Repo(repo).CheckRuns];
    }

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_gate)
                return [.. _requests];
        }
    }

    /// <summary>How many installation tokens were issued, per installation.</summary>
    public int TokensIssued(long installationId)
    {
        lock (_gate)
            return _tokenGrants.Count(grant => grant.InstallationId == installationId);
    }

    // ---- Helpers (call under _gate) -------------------------------------------------------------------

    private long NextId() => ++_nextId;

    private SimulatedRepository Repo(string repo) =>
        _repositories.TryGetValue(repo, out var repository)
            ? repository
            : throw new InvalidOperationException($"The simulator has no repository '{repo}'; call AddRepository first.");

    private static SimulatedPull Pull(SimulatedRepository repository, int number) =>
        repository.Pulls.TryGetValue(number, out var pull)
            ? pull
            : throw new InvalidOperationException($"The simulator has no pull request #{number} in {repository.FullName}.");
}
