using System.Text.Json.Nodes;
using CriticBot.Commands;
using CriticBot.Testing.FakeModel;

namespace CriticBot.Tests.Eval;

/// <summary>
/// Adaptive sampling through the real eval path: HumanEvalPack records imported by `criticbot eval import`, then
/// `criticbot eval` against the fake model over HTTP, with the critic's answers scripted per sample.
/// </summary>
public sealed class EvalAdaptiveSamplingTests : IAsyncLifetime
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "criticbot-adaptive-" + Guid.NewGuid().ToString("N"));
    private FakeModelServer _server = null!;

    // Three HumanEvalPack-shaped tasks; each bug is on line 2 of its file.
    private static readonly string[] HumanEvalPack =
    [
        """{"task_id":"Python/1","declaration":"def add(a, b):\n","canonical_solution":"    total = a + b\n    return total\n","buggy_solution":"    total = a - b\n    return total\n","bug_type":"operator misuse","failure_symptoms":"incorrect output"}""",
        """{"task_id":"Python/2","declaration":"def first(xs):\n","canonical_solution":"    head = xs[0]\n    return head\n","buggy_solution":"    head = xs[1]\n    return head\n","bug_type":"value misuse","failure_symptoms":"incorrect output"}""",
        """{"task_id":"Python/3","declaration":"def neg(x):\n","canonical_solution":"    value = -x\n    return value\n","buggy_solution":"    value = x\n    return value\n","bug_type":"missing logic","failure_symptoms":"incorrect output"}""",
    ];

    // python/1: every sample flags the bug (agreement). python/2: a risk on the bug line from samples 0 and 2 only
    // (one of two is 0.38, below 0.5; a third could make it 0.62: disagreement). python/3: no sample finds anything.
    private static Dictionary<string, IReadOnlyList<IReadOnlyList<ScriptedHighlight>>> Script() => new()
    {
        ["python/1.py"] =
        [
            [new("python/1.py", 2, "total = a - b", "bug", "Subtracts instead of adding.")],
            [new("python/1.py", 2, "total = a - b", "bug", "Should be a + b.")],
            [new("python/1.py", 2, "total = a - b", "bug", "Wrong operator.")],
        ],
        ["python/2.py"] =
        [
            [new("python/2.py", 2, "head = xs[1]", "risk", "Index 1 is the second element.")],
            [],
            [new("python/2.py", 2, "head = xs[1]", "risk", "Off by one.")],
        ],
        ["python/3.py"] = [[], [], []],
    };

    public async Task InitializeAsync()
    {
        _server = await FakeModelServer.StartAsync();
        Directory.CreateDirectory(_work);
        var input = Path.Combine(_work, "python.jsonl");
        await File.WriteAllLinesAsync(input, HumanEvalPack);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await CriticBotCli.RunAsync(
            ["eval", "import", "--from", "humanevalpack", "--input", input, "--out", Path.Combine(_work, "he.jsonl")],
            stdout, stderr, new StringReader(""), new Dictionary<string, string?>());
        Assert.True(exit == ExitCodes.Success, stderr.ToString());
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    /// <summary>One run with a fresh script and its own cache, so every sample drawn reaches the fake model.</summary>
    private async Task<(int Exit, string Err, JsonObject Results, Dictionary<string, int> Requests)> EvalAsync(
        string name, Dictionary<string, string?>? extraEnvironment, params string[] args)
    {
        _server.Responder = new ScriptedCritic(Script()).Respond;
        var before = _server.Requests.Count;
        var environment = EvalMetricsTests.ModelEnvironment(_server);
        foreach (var (key, value) in extraEnvironment ?? [])
        {
            environment[key] = value;
        }

        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var outDir = Path.Combine(_work, name);
        var exit = await CriticBotCli.RunAsync(
            ["eval", "--dataset", Path.Combine(_work, "he.jsonl"), "--out", outDir, "--samples", "3", .. args],
            stdout, stderr, new StringReader(""), environment);
        var results = File.Exists(Path.Combine(outDir, "results.json"))
            ? JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "results.json")))!.AsObject()
            : [];
        var requests = _server.Requests.Skip(before)
            .Select(r => r.Messages[^1].Content)
            .GroupBy(text => Script().Keys.Single(file => text.Contains($"### FILE: {file}", StringComparison.Ordinal)))
            .ToDictionary(g => g.Key, g => g.Count());
        return (exit, stderr.ToString(), results, requests);
    }

    private static double Metric(JsonObject results, string name) => results["metrics"]![name]!["value"]!.GetValue<double>();

    private static long Total(JsonObject results, string name) => results["totals"]![name]!.GetValue<long>();

    private static string[] Stops(JsonObject results) =>
        [.. results["cases"]!.AsArray().Select(c => c!["sampling"]!.AsArray().Single()!["stop"]!.GetValue<string>())];

    [Fact]
    public async Task Adaptive_sampling_draws_fewer_samples_where_they_agree_all_where_they_disagree_and_catches_the_same()
    {
        var off = await EvalAsync("off", null, "--adaptive-sampling", "false");
        var on = await EvalAsync("on", null, "--adaptive-sampling", "true");

        Assert.True(off.Exit == ExitCodes.Success, off.Err);
        Assert.True(on.Exit == ExitCodes.Success, on.Err);

        // Off: every sample of every case, as before.
        Assert.Equal(new Dictionary<string, int> { ["python/1.py"] = 3, ["python/2.py"] = 3, ["python/3.py"] = 3 }, off.Requests);
        Assert.Equal(["all_drawn", "all_drawn", "all_drawn"], Stops(off.Results));
        Assert.False(off.Results["settings"]!["adaptive_sampling"]!.GetValue<bool>());

        // On: agreement (and agreement on nothing) stops after the first wave of two; the disagreement gets its third.
        Assert.Equal(new Dictionary<string, int> { ["python/1.py"] = 2, ["python/2.py"] = 3, ["python/3.py"] = 2 }, on.Requests);
        Assert.Equal(["settled", "max_samples", "settled"], Stops(on.Results));
        Assert.True(on.Results["settings"]!["adaptive_sampling"]!.GetValue<bool>());
        Assert.Equal((7, 9), (Total(on.Results, "samples_drawn"), Total(on.Results, "samples_max")));

        // The same bugs are caught (python/1 and python/2), for fewer tokens.
        Assert.Equal(2.0 / 3, Metric(off.Results, "catch_rate"), 6);
        Assert.Equal(2.0 / 3, Metric(on.Results, "catch_rate"), 6);
        Assert.True(Total(on.Results, "tokens") < Total(off.Results, "tokens"));
        Assert.Equal(Total(on.Results, "prompt_tokens") + Total(on.Results, "completion_tokens"), Total(on.Results, "tokens"));

        using var compared = new StringWriter();
        using var compareErrors = new StringWriter();
        var compareExit = await CriticBotCli.RunAsync(
            ["eval", "compare", Path.Combine(_work, "off", "results.json"), Path.Combine(_work, "on", "results.json")],
            compared, compareErrors, new StringReader(""), new Dictionary<string, string?>());
        Assert.True(compareExit == ExitCodes.Success, compareErrors.ToString());
        Assert.Matches(@"B sends \d+\.\d% fewer", compared.ToString());
    }

    [Fact]
    public async Task The_environment_turns_it_on_the_flag_wins_and_a_bad_value_is_refused()
    {
        var byEnvironment = await EvalAsync("env", new() { ["CRITICBOT_ADAPTIVE_SAMPLING"] = "true" });
        Assert.True(byEnvironment.Exit == ExitCodes.Success, byEnvironment.Err);
        Assert.Equal(7, byEnvironment.Requests.Values.Sum());

        var flagWins = await EvalAsync("flag", new() { ["CRITICBOT_ADAPTIVE_SAMPLING"] = "true" }, "--adaptive-sampling", "false");
        Assert.Equal(9, flagWins.Requests.Values.Sum());

        var bad = await EvalAsync("bad", new() { ["CRITICBOT_ADAPTIVE_SAMPLING"] = "sometimes" });
        Assert.Equal(ExitCodes.Usage, bad.Exit);
        Assert.Contains("CRITICBOT_ADAPTIVE_SAMPLING must be true or false, not 'sometimes'", bad.Err, StringComparison.Ordinal);
    }
}
