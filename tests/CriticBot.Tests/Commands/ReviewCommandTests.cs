using System.Diagnostics;
using System.Text.Json;
using CriticBot.Commands;
using CriticBot.Testing.FakeModel;

namespace CriticBot.Tests.Review;

/// <summary>
/// `criticbot review` in-process through CriticBotCli, with the real OpenAI client talking HTTP to the fake model.
/// </summary>
public sealed class ReviewCommandTests : IAsyncLifetime
{
    private const string Path = "src/stats.py";

    private const string Before = "def total(items):\n    return sum(items)\n\n\ndef mean(items):\n    return sum(items) / len(items)\n\n\ndef greet(name):\n    return 'hello ' + name\n";

    // New lines: 3 is the off-by-one loop, 9 divides by a possibly empty length, 13 builds a greeting.
    private const string After = "def total(items):\n    result = 0\n    for i in range(len(items) + 1):\n        result += items[i]\n    return result\n\n\ndef mean(items):\n    return total(items) / len(items)\n\n\ndef greet(name):\n    return f'hello {name}'\n";

    private static readonly PlantedFinding OffByOne = new(Path, "for i in range(len(items) + 1):", 3, "bug", "Off by one: the loop reads past the end of items.");
    private static readonly PlantedFinding EmptyDivision = new(Path, "return total(items) / len(items)", 9, "bug", "Divides by zero when items is empty.");

    private readonly string _work = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "criticbot-review-" + Guid.NewGuid().ToString("N"));
    private FakeModelServer _server = null!;
    private string _diffFile = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeModelServer.StartAsync();
        Directory.CreateDirectory(_work);
        _diffFile = System.IO.Path.Combine(_work, "change.diff");
        await File.WriteAllTextAsync(_diffFile, RealGitDiff(_work, Before, After));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    private Dictionary<string, string?> ModelEnvironment(string? apiKey = "test-key") => new()
    {
        ["OPENAI_BASE_URL"] = _server.BaseUrl.ToString(),
        ["OPENAI_API_KEY"] = apiKey,
        ["CRITICBOT_MODEL"] = "fake-critic",
        ["CRITICBOT_MODEL_MAX_RETRIES"] = "2",
    };

    private static async Task<(int Exit, string Out, string Err)> RunAsync(IReadOnlyDictionary<string, string?> environment, string? stdin, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await CriticBotCli.RunAsync(["review", .. args], stdout, stderr, new StringReader(stdin ?? ""), environment);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static string[] NewLines() => After.Split('\n');

    /// <summary>The posted range really holds the quote (white space aside).</summary>
    private static void AssertAnchoredOnQuote(JsonElement comment)
    {
        Assert.Equal("RIGHT", comment.GetProperty("side").GetString());
        var line = comment.GetProperty("line").GetInt32();
        var start = comment.TryGetProperty("start_line", out var s) ? s.GetInt32() : line;
        var text = string.Concat(NewLines()[(start - 1)..line]).Replace(" ", "", StringComparison.Ordinal);
        var quote = comment.GetProperty("quote").GetString()!.Replace(" ", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal);
        Assert.Contains(quote, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_imperfect_critic_yields_only_grounded_comments_at_the_true_lines()
    {
        var critic = new ImperfectCritic([OffByOne, EmptyDivision], new Random(7))
        {
            MissProbability = 0.1,
            LineDriftProbability = 0.8,
            MaxLineDrift = 3,
            HallucinationProbability = 0.9,
            FencedProbability = 0.4,
            ProseProbability = 0.3,
            TruncationProbability = 0.2,
        };
        _server.Responder = critic.Respond;

        var (exit, output, error) = await RunAsync(ModelEnvironment(), null, "--diff", _diffFile, "--format", "json", "--samples", "3");

        Assert.True(exit == ExitCodes.Success, error);
        using var json = JsonDocument.Parse(output);
        var comments = json.RootElement.GetProperty("comments").EnumerateArray().ToList();
        Assert.NotEmpty(comments);
        Assert.All(comments, AssertAnchoredOnQuote);
        var lines = comments.Select(c => c.GetProperty("line").GetInt32()).ToList();
        Assert.Contains(3, lines);
        Assert.All(lines, l => Assert.True(l is 3 or 9 or 13, $"unexpected line {l}"));
        Assert.True(json.RootElement.GetProperty("dropped").GetProperty("ungrounded").GetInt32() > 0);
        Assert.True(_server.Requests.Count >= 3);
        Assert.All(_server.Requests, r => Assert.True(r.Temperature > 0));
    }

    [Fact]
    public async Task The_json_output_has_the_documented_shape()
    {
        _server.Responder = ImperfectCritic.Perfect([OffByOne, EmptyDivision with { Quote = "return total(items) / len(items)\n\n\ndef greet(name):", EndLine = 12 }]).Respond;

        var (exit, output, _) = await RunAsync(ModelEnvironment(), null, "--diff", _diffFile, "--format", "json", "--samples", "2");

        Assert.Equal(ExitCodes.Success, exit);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal(["comments", "dropped", "skipped_files", "truncations", "usage"], root.EnumerateObject().Select(p => p.Name));
        var single = root.GetProperty("comments")[0];
        Assert.Equal(["path", "line", "side", "quote", "severity", "body", "score", "support"], single.EnumerateObject().Select(p => p.Name));
        Assert.Equal((Path, 3, "bug", 2), (single.GetProperty("path").GetString(), single.GetProperty("line").GetInt32(), single.GetProperty("severity").GetString(), single.GetProperty("support").GetInt32()));
        Assert.Equal(1.0, single.GetProperty("score").GetDouble());
        var multi = root.GetProperty("comments")[1];
        Assert.Equal((9, 12), (multi.GetProperty("start_line").GetInt32(), multi.GetProperty("line").GetInt32()));
        Assert.Equal(["ungrounded", "below_threshold", "duplicates", "over_limit"], root.GetProperty("dropped").EnumerateObject().Select(p => p.Name));
        Assert.Equal(2, root.GetProperty("dropped").GetProperty("duplicates").GetInt32());
        var usage = root.GetProperty("usage");
        Assert.Equal(2, usage.GetProperty("calls").GetInt32());
        Assert.True(usage.GetProperty("prompt_tokens").GetInt32() > 0);
        Assert.True(usage.TryGetProperty("completion_tokens", out _));
    }

    [Fact]
    public async Task The_json_usage_adds_cached_prompt_tokens_after_the_original_fields()
    {
        var critic = ImperfectCritic.Perfect([OffByOne]);
        _server.Responder = request => critic.Respond(request) with { CachedPromptTokens = 128 };

        var (exit, output, _) = await RunAsync(ModelEnvironment(), null, "--diff", _diffFile, "--format", "json", "--samples", "3");

        Assert.Equal(ExitCodes.Success, exit);
        using var json = JsonDocument.Parse(output);
        var usage = json.RootElement.GetProperty("usage");
        Assert.Equal(["calls", "prompt_tokens", "completion_tokens", "failed_samples", "cached_prompt_tokens", "estimated_cost_usd", "cost_usd"],
            usage.EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.Null, usage.GetProperty("cost_usd").ValueKind);
        Assert.Equal(3 * 128, usage.GetProperty("cached_prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task Prices_give_the_estimated_cost_in_the_dry_run_and_the_actual_cost_with_cached_tokens_at_their_price()
    {
        var critic = ImperfectCritic.Perfect([OffByOne]);
        _server.Responder = request => critic.Respond(request) with { PromptTokens = 1000, CachedPromptTokens = 600, CompletionTokens = 100 };
        var environment = ModelEnvironment();
        environment["CRITICBOT_PRICES"] = "gpt-4.1=2/0.5/8; fake-critic=2/0.50/8";

        var dry = await RunAsync(environment, null, "--diff", _diffFile, "--dry-run", "--format", "json", "--samples", "3");
        Assert.Equal(ExitCodes.Success, dry.Exit);
        using var plan = JsonDocument.Parse(dry.Out);
        var estimatedTokens = plan.RootElement.GetProperty("estimated_prompt_tokens").GetInt64();
        var estimate = plan.RootElement.GetProperty("estimated_cost_usd").GetDecimal();
        Assert.Equal(Math.Round(estimatedTokens * 2m / 1_000_000m, 6), estimate);
        var dryText = await RunAsync(environment, null, "--diff", _diffFile, "--dry-run", "--samples", "3");
        Assert.Contains($"estimated cost: ${Math.Round(estimate, 4):0.0000}", dryText.Out, StringComparison.Ordinal);

        var (exit, output, _) = await RunAsync(environment, null, "--diff", _diffFile, "--format", "json", "--samples", "3");
        Assert.Equal(ExitCodes.Success, exit);
        using var json = JsonDocument.Parse(output);
        var usage = json.RootElement.GetProperty("usage");
        Assert.Equal(estimate, usage.GetProperty("estimated_cost_usd").GetDecimal());
        // Per call: 400 uncached at $2, 600 cached at $0.50 and 100 completion tokens at $8 per million; three calls.
        Assert.Equal(3 * (400 * 2m + 600 * 0.5m + 100 * 8m) / 1_000_000m, usage.GetProperty("cost_usd").GetDecimal());
    }

    [Theory]
    [InlineData("fake-critic=2/0.5")]
    [InlineData("fake-critic=two/0.5/8")]
    [InlineData("=2/0.5/8")]
    [InlineData("fake-critic=2/0.5/8;fake-critic=1/1/1")]
    public async Task A_bad_price_list_is_a_usage_error_naming_the_variable(string prices)
    {
        var environment = ModelEnvironment();
        environment["CRITICBOT_PRICES"] = prices;
        var (exit, _, error) = await RunAsync(environment, null, "--diff", _diffFile, "--dry-run");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains("CRITICBOT_PRICES", error, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task A_truncated_answer_is_retried_and_a_fenced_one_is_read()
    {
        var good = JsonSerializer.Serialize(new { comments = new[] { new { path = Path, line = 6, quote = OffByOne.Quote, severity = "bug", body = "off by one" } } });
        var replies = new Queue<FakeReply>([FakeReply.Truncated(good, good.Length / 2), FakeReply.Text($"Here you go:\n```json\n{good}\n```\nBye.")]);
        _server.Responder = _ => replies.Count > 0 ? replies.Dequeue() : FakeReply.Text("""{"comments":[]}""");

        var (exit, output, _) = await RunAsync(ModelEnvironment(), null, "--diff", _diffFile, "--samples", "1");

        Assert.Equal(ExitCodes.Success, exit);
        Assert.StartsWith($"{Path}:3 [bug]", output, StringComparison.Ordinal);
        Assert.Contains("  > " + OffByOne.Quote, output, StringComparison.Ordinal);
        Assert.Contains("2 call(s)", output, StringComparison.Ordinal);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public async Task Rate_limits_and_server_errors_are_retried_until_an_answer_comes()
    {
        _server.Responder = ImperfectCritic.Perfect([OffByOne]).Respond;
        _server.EnqueueFault(FakeFault.RateLimited("0"), FakeFault.ServerError(500));

        var (exit, output, error) = await RunAsync(ModelEnvironment(), null, "--diff", _diffFile, "--format", "json", "--samples", "1");

        Assert.True(exit == ExitCodes.Success, error);
        Assert.Equal(3, _server.Requests.Count);
        using var json = JsonDocument.Parse(output);
        Assert.Equal(3, json.RootElement.GetProperty("comments")[0].GetProperty("line").GetInt32());
    }

    [Fact]
    public async Task The_diff_can_come_from_standard_input()
    {
        _server.Responder = ImperfectCritic.Perfect([OffByOne]).Respond;
        var (exit, output, _) = await RunAsync(ModelEnvironment(), await File.ReadAllTextAsync(_diffFile), "--diff", "-", "--samples", "1");
        Assert.Equal(ExitCodes.Success, exit);
        Assert.Contains($"{Path}:3", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_diff_is_not_an_error()
    {
        var (exit, output, _) = await RunAsync(ModelEnvironment(), "", "--diff", "-", "--format", "json");
        Assert.Equal(ExitCodes.Success, exit);
        Assert.Equal(0, JsonDocument.Parse(output).RootElement.GetProperty("comments").GetArrayLength());
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task A_plain_http_model_url_off_loopback_exits_2_naming_the_setting()
    {
        var environment = ModelEnvironment();
        environment["OPENAI_BASE_URL"] = "http://models.example.com/v1";

        var (exit, output, error) = await RunAsync(environment, null, "--diff", _diffFile);

        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Equal("", output);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
        Assert.Contains("OPENAI_BASE_URL is a plain http:// URL", error, StringComparison.Ordinal);
        Assert.DoesNotContain("test-key", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("def total(items):\n    return sum(items)\n")]
    [InlineData("\u00ff\u00fe garbage that is not a diff\n")]
    public async Task Input_that_is_not_a_diff_exits_2_instead_of_a_clean_review(string notADiff)
    {
        // A source file passed by mistake must not read as "no problems found".
        var (exit, output, error) = await RunAsync(ModelEnvironment(), notADiff, "--diff", "-");
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Equal("", output);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
        Assert.Contains("not a unified diff", error, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);

        var dryRun = await RunAsync(new Dictionary<string, string?>(), notADiff, "--diff", "-", "--dry-run");
        Assert.Equal(ExitCodes.Usage, dryRun.Exit);
    }

    [Fact]
    public async Task White_space_only_input_is_an_empty_diff()
    {
        var (exit, _, error) = await RunAsync(ModelEnvironment(), "\n  \n", "--diff", "-");
        Assert.True(exit == ExitCodes.Success, error);
    }

    [Fact]
    public async Task A_missing_diff_file_exits_2_with_one_line()
    {
        var (exit, output, error) = await RunAsync(ModelEnvironment(), null, "--diff", System.IO.Path.Combine(_work, "nope.diff"));
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Equal("", output);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
        Assert.Contains("no such file", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--precision", "1.5")]
    [InlineData("--samples", "0")]
    [InlineData("--format", "xml")]
    public async Task Bad_usage_exits_2(string option, string value)
    {
        var (exit, _, error) = await RunAsync(ModelEnvironment(), null, "--diff", _diffFile, option, value);
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
        Assert.Empty(_server.Requests);
    }

    [Theory]
    [InlineData("--samples", "many", "a whole number")]
    [InlineData("--precision", "high", "a number")]
    public async Task Unparseable_numbers_are_explained_in_words_not_type_names(string option, string value, string expected)
    {
        var (exit, _, error) = await RunAsync(ModelEnvironment(), null, "--diff", _diffFile, option, value);
        Assert.Equal(ExitCodes.Usage, exit);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_closed_port_exits_3()
    {
        var closed = await FakeModelServer.StartAsync();
        var environment = ModelEnvironment();
        environment["OPENAI_BASE_URL"] = closed.BaseUrl.ToString();
        environment["CRITICBOT_MODEL_MAX_RETRIES"] = "0";
        await closed.DisposeAsync();

        var (exit, _, error) = await RunAsync(environment, null, "--diff", _diffFile);

        Assert.Equal(ExitCodes.ModelUnavailable, exit);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_key_exits_3_without_showing_the_key()
    {
        await using var strict = await FakeModelServer.StartAsync(new FakeModelServerOptions { ExpectedApiKey = "the-right-key" });
        var environment = ModelEnvironment("sk-wrong-secret-123");
        environment["OPENAI_BASE_URL"] = strict.BaseUrl.ToString();

        var (exit, output, error) = await RunAsync(environment, null, "--diff", _diffFile);

        Assert.Equal(ExitCodes.ModelUnavailable, exit);
        Assert.DoesNotContain("sk-wrong-secret-123", output + error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
    }

    [Theory]
    [InlineData("text")]
    [InlineData("json")]
    public async Task A_dry_run_needs_no_model_settings_and_makes_no_request(string format)
    {
        var (exit, output, error) = await RunAsync(new Dictionary<string, string?>(), null, "--diff", _diffFile, "--dry-run", "--format", format, "--samples", "4");
        Assert.True(exit == ExitCodes.Success, error);

        var withModel = await RunAsync(ModelEnvironment(), null, "--diff", _diffFile, "--dry-run");
        Assert.Equal(ExitCodes.Success, withModel.Exit);
        Assert.Empty(_server.Requests);

        if (format == "json")
        {
            using var json = JsonDocument.Parse(output);
            var root = json.RootElement;
            Assert.Equal(Path, root.GetProperty("files")[0].GetProperty("path").GetString());
            var chunkTokens = root.GetProperty("chunks")[0].GetProperty("prompt_tokens").GetInt32();
            Assert.True(chunkTokens > new Engine.Chunking.TiktokenTokenCounter().Count(Engine.Prompting.PromptBuilder.BuildSystemPrompt()),
                "the estimate includes the system prompt");
            Assert.Equal(chunkTokens * 4, root.GetProperty("estimated_prompt_tokens").GetInt64());
            Assert.True(root.GetProperty("prompt_tokens_estimated").GetBoolean(), "the JSON says that the token figures are estimates");
        }
        else
        {
            Assert.Contains($"review {Path}", output, StringComparison.Ordinal);
            Assert.Contains("x 4 sample(s)", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Lockfiles_are_listed_as_skipped_in_the_dry_run()
    {
        var diff = await File.ReadAllTextAsync(_diffFile)
            + "diff --git a/package-lock.json b/package-lock.json\n--- a/package-lock.json\n+++ b/package-lock.json\n@@ -1 +1 @@\n-{}\n+{ }\n";
        var (exit, output, _) = await RunAsync(new Dictionary<string, string?>(), diff, "--diff", "-", "--dry-run", "--format", "json");
        Assert.Equal(ExitCodes.Success, exit);
        using var json = JsonDocument.Parse(output);
        Assert.Equal("package-lock.json", json.RootElement.GetProperty("skipped_files")[0].GetProperty("path").GetString());
    }

    /// <summary>A diff made by real git, so the test meets what users pipe in.</summary>
    private static string RealGitDiff(string directory, string before, string after)
    {
        var repo = System.IO.Path.Combine(directory, "repo");
        Directory.CreateDirectory(System.IO.Path.Combine(repo, "src"));
        Git(repo, "init", "-q", "-b", "main");
        File.WriteAllText(System.IO.Path.Combine(repo, Path), before);
        Git(repo, "add", "-A");
        Git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false", "commit", "-q", "-m", "before");
        File.WriteAllText(System.IO.Path.Combine(repo, Path), after);
        return Git(repo, "diff", "-U2");
    }

    private static string Git(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        start.Environment["GIT_CONFIG_GLOBAL"] = "/dev/null";
        using var git = Process.Start(start)!;
        var output = git.StandardOutput.ReadToEnd();
        var error = git.StandardError.ReadToEnd();
        git.WaitForExit();
        return git.ExitCode == 0 ? output : throw new InvalidOperationException($"git {string.Join(' ', arguments)} failed: {error}");
    }

    [Fact]
    public async Task Text_output_carries_no_terminal_control_sequences_from_the_model()
    {
        const string hostile = "Off by one.\u001b]0;pwned\u0007\u001b[2J\u001b[31mred\u009b31m\r\u0008 end";
        _server.Responder = ImperfectCritic.Perfect([OffByOne with { Body = hostile }]).Respond;

        var (exit, output, _) = await RunAsync(ModelEnvironment(), null, "--diff", _diffFile, "--samples", "1");

        Assert.Equal(0, exit);
        Assert.Contains("Off by one.red", output, StringComparison.Ordinal);
        Assert.DoesNotContain(output, c => char.IsControl(c) && c is not '\n' and not '\t');
        Assert.DoesNotContain("pwned", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Text_output_carries_no_terminal_control_sequences_from_file_names()
    {
        // git quotes a name with control characters C-style; the parser decodes it to the real name.
        const string diff = "diff --git \"a/x\\033[31mred.py\" \"b/x\\033[31mred.py\"\nnew file mode 100644\n--- /dev/null\n+++ \"b/x\\033[31mred.py\"\n@@ -0,0 +1 @@\n+print(1)\n";

        var (exit, output, _) = await RunAsync(new Dictionary<string, string?>(), diff, "--diff", "-", "--dry-run");

        Assert.Equal(0, exit);
        Assert.Contains("review xred.py", output, StringComparison.Ordinal);
        Assert.DoesNotContain(output, c => char.IsControl(c) && c is not '\n' and not '\t');
    }
}
