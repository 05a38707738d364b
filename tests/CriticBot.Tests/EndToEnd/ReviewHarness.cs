using System.Net;
using CriticBot.Storage;
using CriticBot.Testing.FakeModel;
using CriticBot.Testing.Git;
using CriticBot.Testing.GitHub;
using CriticBot.Tests.Fixtures;

namespace CriticBot.Tests.EndToEnd;

/// <summary>
/// Everything a review touches, for real: the GitHub simulator, the fake model, a git repository that holds the
/// pull request's code, and `criticbot serve` on 127.0.0.1 with a SQLite file. Deliveries are signed and sent to
/// the real endpoint, exactly as GitHub would.
/// </summary>
public sealed class ReviewHarness : IAsyncDisposable
{
    public const long AppId = 77;
    public const long InstallationId = GitHubPayloads.InstallationId;
    public const string Repository = "octo-org/widgets";
    public const int Number = 7;

    /// <summary>The bugs the pull request introduces, as a critic should quote them.</summary>
    public static readonly PlantedFinding OffByOne = new(
        "src/billing.py", "for item in items[1:]:", 3, "bug",
        "This skips the first item, so every total is too low. cc @octocat <img src=x onerror=alert(1)> see [docs](https://evil.example.com/phish)");

    public static readonly PlantedFinding SqlInjection = new(
        "src/users.py", "query = \"SELECT * FROM users WHERE name = '\" + name + \"'\"", 2, "bug",
        "The name is pasted into SQL: a name like `' OR '1'='1` reads every user. Use a parameterised query.");

    public static readonly PlantedFinding MultiLineRisk = new(
        "src/billing.py", "if percent > 100:\n        raise ValueError(\"percent must be at most 100\")", 9, "risk",
        "A negative percent is still accepted and raises the price.", EndLine: 10);

    private ReviewHarness(GitHubSimulator github, FakeModelServer model, GitScratchRepo git, TestDatabase database)
    {
        GitHub = github;
        Model = model;
        Git = git;
        Database = database;
    }

    public GitHubSimulator GitHub { get; }
    public FakeModelServer Model { get; }
    public GitScratchRepo Git { get; }
    public TestDatabase Database { get; }
    public TestService? Service { get; private set; }
    public string PrivateKey { get; private set; } = "";
    public string BaseSha { get; private set; } = "";
    public string HeadSha { get; private set; } = "";

    public CriticBotStore Store => Service!.Store;

    /// <summary>A repository with a base commit and a PR head that adds two bugs, a guard and a lockfile.</summary>
    public static async Task<ReviewHarness> StartAsync(ImperfectCritic? critic = null, bool startService = true,
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var harness = new ReviewHarness(await GitHubSimulator.StartAsync(), await FakeModelServer.StartAsync(), new GitScratchRepo(), new TestDatabase());
        harness.PrivateKey = harness.GitHub.RegisterApp(AppId);
        harness.GitHub.AddInstallation(InstallationId, "octo-org", appId: AppId);
        harness.GitHub.AddRepository("octo-org", "widgets", InstallationId);
        harness.Model.Responder = (critic ?? DefaultCritic()).Respond;

        var git = harness.Git;
        git.WriteFile("src/billing.py", """
            def total(items):
                result = 0
                for item in items:
                    result += item.price * item.quantity
                return result


            def discount(total, percent):
                return total * (100 - percent) / 100

            """);
        git.WriteFile("README.md", "# widgets\n");
        harness.BaseSha = git.Commit("base");
        git.WriteFile("src/billing.py", """
            def total(items):
                result = 0
                for item in items[1:]:
                    result += item.price * item.quantity
                return result


            def discount(total, percent):
                if percent > 100:
                    raise ValueError("percent must be at most 100")
                return total * (100 - percent) / 100

            """);
        git.WriteFile("src/users.py", """
            def find_user(db, name):
                query = "SELECT * FROM users WHERE name = '" + name + "'"
                return db.execute(query).fetchone()

            """);
        git.WriteFile("package-lock.json", "{\n  \"lockfileVersion\": 3\n}\n");
        harness.HeadSha = git.Commit("add users, guard discounts");
        harness.GitHub.OpenPullRequest(Repository, Number, "main", harness.BaseSha, harness.HeadSha,
            GitFiles.Between(git, harness.BaseSha, harness.HeadSha));

        if (startService)
        {
            await harness.StartServiceAsync(settings);
        }

        return harness;
    }

    /// <summary>A realistic critic: off-by-up-to-3 line numbers, invented code, fences and prose; it never misses.</summary>
    public static ImperfectCritic DefaultCritic(int seed = 7) => new([OffByOne, SqlInjection], new Random(seed))
    {
        MissProbability = 0,
        LineDriftProbability = 0.8,
        HallucinationProbability = 0.6,
        NitProbability = 0,
        FencedProbability = 0.4,
        ProseProbability = 0.3,
        TruncationProbability = 0,
    };

    public Dictionary<string, string?> ServiceSettings() => new()
    {
        ["GITHUB_APP_ID"] = AppId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["GITHUB_PRIVATE_KEY"] = PrivateKey,
        ["GITHUB_API_URL"] = GitHub.ApiUrl.ToString(),
        ["OPENAI_BASE_URL"] = Model.BaseUrl.ToString(),
        ["CRITICBOT_MODEL"] = "critic-test",
        ["CRITICBOT_SAMPLES"] = "3",
        ["CRITICBOT_MODEL_MAX_RETRIES"] = "1",
        ["GitHub:MinimumWriteInterval"] = "00:00:00",
        ["GitHub:BaseBackoff"] = "00:00:00.010",
    };

    public async Task StartServiceAsync(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var all = ServiceSettings();
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        Service = await TestService.StartAsync(Database, settings: all);
    }

    public async Task StopServiceAsync()
    {
        if (Service is not null)
        {
            await Service.DisposeAsync();
            Service = null;
        }
    }

    /// <summary>Sends a pull_request delivery for the PR's current head; returns its delivery id.</summary>
    public async Task<string> SendPullRequestAsync(string action, string? deliveryId = null, string? headSha = null)
    {
        deliveryId ??= Guid.NewGuid().ToString();
        using var response = await Service!.SendAsync("pull_request",
            GitHubPayloads.PullRequest(action, Repository, Number, headSha ?? HeadSha, BaseSha), deliveryId);
        Assert.True(response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK, $"intake answered {response.StatusCode}");
        return deliveryId;
    }

    public async Task<string> SendCommentAsync(string body, string login)
    {
        var deliveryId = Guid.NewGuid().ToString();
        var payload = GitHubPayloads.IssueComment(Repository, Number, comment: body).Replace("\"hubot\"", $"\"{login}\"", StringComparison.Ordinal);
        using var response = await Service!.SendAsync("issue_comment", payload, deliveryId);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return deliveryId;
    }

    /// <summary>Waits until the delivery is finished (done or failed) and returns its record.</summary>
    public Task<DeliveryRecord> FinishedAsync(string deliveryId) =>
        Service!.WaitForDeliveryAsync(deliveryId, d => d.Status is DeliveryStatus.Done or DeliveryStatus.Failed);

    public IReadOnlyList<SimulatedReview> Reviews => GitHub.Reviews(Repository, Number);

    /// <summary>The PR's files at a head, for anchoring checks.</summary>
    public IReadOnlyList<SimulatedFile> FilesAt(string baseSha, string headSha) => GitFiles.Between(Git, baseSha, headSha);

    /// <summary>
    /// Asserts that a posted comment sits exactly on code that contains its quote: the lines start_line..line on
    /// its side of the file's patch, joined, contain the quote (white space ignored).
    /// </summary>
    public static void AssertAnchoredOnQuote(SimulatedReviewComment comment, IReadOnlyList<SimulatedFile> files, string quote)
    {
        var file = Assert.Single(files, f => f.Filename == comment.Path);
        var lines = LinesOnSide(file.Patch!, comment.Side == "LEFT");
        var first = comment.StartLine ?? comment.Line;
        var text = string.Concat(Enumerable.Range(first, comment.Line - first + 1).Select(n => lines[n]));
        Assert.Contains(Squash(quote), Squash(text), StringComparison.Ordinal);
    }

    public static string Squash(string text) => new([.. text.Where(c => !char.IsWhiteSpace(c))]);

    private static Dictionary<int, string> LinesOnSide(string patch, bool left)
    {
        var lines = new Dictionary<int, string>();
        int oldLine = 0, newLine = 0;
        foreach (var raw in patch.Split('\n'))
        {
            if (raw.StartsWith("@@", StringComparison.Ordinal))
            {
                var parts = raw.Split(' ');
                oldLine = int.Parse(parts[1].TrimStart('-').Split(',')[0], System.Globalization.CultureInfo.InvariantCulture);
                newLine = int.Parse(parts[2].TrimStart('+').Split(',')[0], System.Globalization.CultureInfo.InvariantCulture);
                continue;
            }

            if (raw.StartsWith('\\'))
            {
                continue;
            }

            var marker = raw.Length > 0 ? raw[0] : ' ';
            var text = raw.Length > 0 ? raw[1..] : "";
            if (marker != '+')
            {
                if (left) lines[oldLine] = text;
                oldLine++;
            }

            if (marker != '-')
            {
                if (!left) lines[newLine] = text;
                newLine++;
            }
        }

        return lines;
    }

    public async ValueTask DisposeAsync()
    {
        await StopServiceAsync();
        await Model.DisposeAsync();
        await GitHub.DisposeAsync();
        Git.Dispose();
        Database.Dispose();
    }
}
