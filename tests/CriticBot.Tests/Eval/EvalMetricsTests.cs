using System.Text.Json.Nodes;
using CriticBot.Commands;
using CriticBot.Eval;
using CriticBot.Testing.FakeModel;

namespace CriticBot.Tests.Eval;

/// <summary>
/// `criticbot eval` end to end: the real engine and OpenAI client over HTTP to the fake model, scripted to find
/// known bugs with known line noise, hallucinations, nits and false alarms; the reported metrics must equal the
/// values worked out by hand below, at several precision settings.
/// </summary>
public sealed class EvalMetricsTests : IAsyncLifetime
{
    // Case a: the bug (line 3) is found by all 3 samples (score 0.7 + 0.3 = 1); one sample adds a nit on line 5 (0.7/3 = 0.233).
    // Case b: the bug is on line 4, but 2 samples quote line 3 as a risk (0.7*2/3 + 0.15 = 0.617): caught only with tolerance >= 1.
    // Case c: the bug (line 2) is missed; one sample invents code that is not in the diff (ungrounded).
    // Case d: clean; one sample calls line 2 a bug (0.7/3 + 0.3 = 0.533, a false alarm), two call line 3 a nit (0.467).
    internal static readonly string[] DatasetLines =
    [
        Line("a", "a.py", " def total(xs):\n     s = 0\n-    for x in xs:\n+    for x in xs[1:]:\n         s += x\n+    print(s)\n     return s\n", "@@ -1,4 +1,6 @@", """[{"path":"a.py","line":3,"description":"skips the first element"}]"""),
        Line("b", "b.py", " def load(path):\n     handle = open(path)\n-    return handle.read()\n+    data = handle.read()\n+    return data.split(\",\")[1]\n", "@@ -1,3 +1,4 @@", """[{"path":"b.py","line":4,"description":"takes the second field instead of the first"}]"""),
        Line("c", "c.py", " def is_adult(age):\n-    return age >= 18\n+    return age > 18\n", "@@ -1,2 +1,2 @@", """[{"path":"c.py","line":2,"description":"18-year-olds are not adults any more"}]"""),
        Line("d", "d.py", " def greet(name):\n-    return \"hello \" + name\n+    message = \"hello \" + name\n+    return message\n", "@@ -1,2 +1,3 @@", "[]"),
    ];

    private readonly string _work = Path.Combine(Path.GetTempPath(), "criticbot-eval-" + Guid.NewGuid().ToString("N"));
    private FakeModelServer _server = null!;

    internal static Dictionary<string, IReadOnlyList<IReadOnlyList<ScriptedHighlight>>> Script() => new()
    {
        ["a.py"] =
        [
            [new("a.py", 3, "for x in xs[1:]:", "bug", "Skips the first element."), new("a.py", 5, "print(s)", "nit", "Remove the debug print.")],
            [new("a.py", 3, "for x in xs[1:]:", "bug", "The slice drops the first element.")],
            [new("a.py", 3, "for x in xs[1:]:", "bug", "Off by one: the first element is skipped.")],
        ],
        ["b.py"] =
        [
            [new("b.py", 3, "data = handle.read()", "risk", "The file handle is never closed.")],
            [new("b.py", 3, "data = handle.read()", "risk", "Use a with block.")],
            [],
        ],
        ["c.py"] =
        [
            [new("c.py", 2, "if user.is_admin: return True", "bug", "Admins bypass the check.")],
            [],
            [],
        ],
        ["d.py"] =
        [
            [new("d.py", 2, "message = \"hello \" + name", "bug", "Fails when name is None.")],
            [new("d.py", 3, "return message", "nit", "Inline the variable.")],
            [new("d.py", 3, "return message", "nit", "The temporary is not needed.")],
        ],
    };

    private static string Line(string id, string path, string body, string header, string bugs) =>
        new JsonObject
        {
            ["id"] = id,
            ["diff"] = $"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n{header}\n{body}",
            ["bugs"] = JsonNode.Parse(bugs),
            ["note"] = "an extra field",
        }.ToJsonString();

    public async Task InitializeAsync()
    {
        _server = await FakeModelServer.StartAsync();
        Directory.CreateDirectory(_work);
        await File.WriteAllLinesAsync(Path.Combine(_work, "cases.jsonl"), DatasetLines);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    internal static Dictionary<string, string?> ModelEnvironment(FakeModelServer server) => new()
    {
        ["OPENAI_BASE_URL"] = server.BaseUrl.ToString(),
        ["OPENAI_API_KEY"] = "test-key",
        ["CRITICBOT_MODEL"] = "fake-critic",
        ["CRITICBOT_MODEL_MAX_RETRIES"] = "0",
    };

    private async Task<(int Exit, string Out, string Err, JsonObject Results)> EvalAsync(string outName, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var outDir = Path.Combine(_work, outName);
        var exit = await CriticBotCli.RunAsync(
            ["eval", "--dataset", Path.Combine(_work, "cases.jsonl"), "--out", outDir, "--cache-dir", Path.Combine(_work, "cache"), .. args],
            stdout, stderr, new StringReader(""), ModelEnvironment(_server));
        var results = File.Exists(Path.Combine(outDir, "results.json"))
            ? JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "results.json")))!.AsObject()
            : [];
        return (exit, stdout.ToString(), stderr.ToString(), results);
    }

    private static double? Metric(JsonObject results, string name) => results["metrics"]![name]!["value"]?.GetValue<double>();

    private static JsonObject SweepPoint(JsonObject results, double precision) =>
        results["sweep"]!.AsArray().OfType<JsonObject>().Single(p => Math.Abs(p["precision"]!.GetValue<double>() - precision) < 1e-9);

    [Fact]
    public async Task Metrics_equal_the_hand_computed_values_at_several_precisions_and_the_cache_makes_reruns_free()
    {
        var critic = new ScriptedCritic(Script());
        _server.Responder = critic.Respond;

        var (exit, _, err, results) = await EvalAsync("sweep", "--sweep", "--samples", "3", "--price-input", "2", "--price-output", "8");
        Assert.True(exit == ExitCodes.Success, err);
        Assert.Equal(12, _server.Requests.Count); // 4 cases x 3 samples
        Assert.False(results["partial"]!.GetValue<bool>());

        // Precision 0.5 (the default), tolerance 0: a caught; b's comment is on line 3, not 4; c missed.
        Assert.Equal(1.0 / 3, Metric(results, "catch_rate")!.Value, 6);
        Assert.Equal(3.0 / 4, Metric(results, "comments_per_case")!.Value, 6); // a: bug, b: risk, d: the false alarm
        Assert.Equal(1.0 / 10, Metric(results, "ungrounded_rate")!.Value, 6); // 10 highlights sampled, 1 invented
        Assert.Equal(0.0, Metric(results, "nit_share")!.Value, 6);
        Assert.Equal(1.0, Metric(results, "false_alarms_per_clean_case")!.Value, 6);
        Assert.Equal(1.0, Metric(results, "clean_cases_flagged")!.Value, 6);
        Assert.Equal(3.0, Metric(results, "calls_per_case")!.Value, 6);

        // Tokens as the fake counts them ((characters + 3) / 4 per message), and the cost at $2 / $8 per million.
        var promptTokens = _server.Requests.Sum(r => r.Messages.Sum(m => FakeReply.EstimateTokens(m.Content)));
        Assert.Equal(promptTokens, results["totals"]!["prompt_tokens"]!.GetValue<long>());
        var completionTokens = results["totals"]!["completion_tokens"]!.GetValue<long>();
        Assert.Equal(Math.Round((promptTokens * 2.0 + completionTokens * 8.0) / 1e6, 6), results["totals"]!["cost"]!.GetValue<double>(), 9);

        // Every interval holds its value.
        foreach (var (_, metric) in results["metrics"]!.AsObject())
        {
            if (metric!["value"] is { } value)
            {
                Assert.InRange(value.GetValue<double>(), metric["low"]!.GetValue<double>(), metric["high"]!.GetValue<double>());
            }
        }

        // The sweep re-selects the same samples: at 0.5 it agrees with the engine's own selection.
        var half = SweepPoint(results, 0.5);
        Assert.Equal(1.0 / 3, half["catch_rate"]!["value"]!.GetValue<double>(), 6);
        Assert.Equal(0.75, half["comments_per_case"]!["value"]!.GetValue<double>(), 6);
        Assert.Equal(1.0, half["false_alarms_per_clean_case"]!["value"]!.GetValue<double>(), 6);

        // 0.2: the nits come in (a's at 0.233 and d's at 0.467): 5 comments, 2 nits over 4 cases.
        var low = SweepPoint(results, 0.2);
        Assert.Equal(1.25, low["comments_per_case"]!["value"]!.GetValue<double>(), 6);
        Assert.Equal(0.5, low["nits_per_case"]!["value"]!.GetValue<double>(), 6);
        Assert.Equal(1.0, low["false_alarms_per_clean_case"]!["value"]!.GetValue<double>(), 6);
        Assert.Equal(1.0 / 3, low["catch_rate"]!["value"]!.GetValue<double>(), 6);

        // 0.6: the false alarm (0.533) goes; b's risk (0.617) stays.
        var strict = SweepPoint(results, 0.6);
        Assert.Equal(0.5, strict["comments_per_case"]!["value"]!.GetValue<double>(), 6);
        Assert.Equal(0.0, strict["false_alarms_per_clean_case"]!["value"]!.GetValue<double>(), 6);

        // 0.7: only a's bug, still caught.
        var strictest = SweepPoint(results, 0.7);
        Assert.Equal(0.25, strictest["comments_per_case"]!["value"]!.GetValue<double>(), 6);
        Assert.Equal(1.0 / 3, strictest["catch_rate"]!["value"]!.GetValue<double>(), 6);

        // 1.0 keeps a's bug (score exactly 1); above every other score.
        Assert.Equal(0.25, SweepPoint(results, 1.0)["comments_per_case"]!["value"]!.GetValue<double>(), 6);

        // A second run at another precision, through the engine's own selection: every answer from the cache.
        var (exit2, _, err2, strictRun) = await EvalAsync("strict", "--precision", "0.6", "--samples", "3");
        Assert.True(exit2 == ExitCodes.Success, err2);
        Assert.Equal(12, _server.Requests.Count);
        Assert.Equal(0, strictRun["totals"]!["new_calls"]!.GetValue<int>());
        Assert.Equal(12, strictRun["totals"]!["cached_calls"]!.GetValue<int>());
        Assert.Equal(0.5, Metric(strictRun, "comments_per_case")!.Value, 6);
        Assert.Equal(0.0, Metric(strictRun, "false_alarms_per_clean_case")!.Value, 6);
        Assert.Equal(0.0, Metric(strictRun, "clean_cases_flagged")!.Value, 6);
        Assert.Equal(1.0 / 3, Metric(strictRun, "catch_rate")!.Value, 6);

        // Tolerance 1 lets b's comment on line 3 catch its bug on line 4: 2 of 3.
        var (exit3, _, _, tolerant) = await EvalAsync("tolerant", "--tolerance", "1", "--samples", "3");
        Assert.Equal(ExitCodes.Success, exit3);
        Assert.Equal(12, _server.Requests.Count);
        Assert.Equal(2.0 / 3, Metric(tolerant, "catch_rate")!.Value, 6);
        var caseB = tolerant["cases"]!.AsArray().OfType<JsonObject>().Single(c => c["id"]!.GetValue<string>() == "b");
        Assert.True(caseB["bugs"]![0]!["caught"]!.GetValue<bool>());

        // --no-cache asks the model again.
        var (exit4, _, _, fresh) = await EvalAsync("fresh", "--no-cache", "--samples", "3", "--limit", "1");
        Assert.Equal(ExitCodes.Success, exit4);
        Assert.Equal(3, fresh["totals"]!["new_calls"]!.GetValue<int>());
        Assert.Equal(15, _server.Requests.Count);
    }

    [Fact]
    public async Task The_judge_scores_comments_against_bug_descriptions_as_martians_bench_does()
    {
        // The judge says a comment describes a bug when both mention "first".
        var critic = new ScriptedCritic(Script())
        {
            JudgeSays = (bug, comment) => bug.Contains("first", StringComparison.Ordinal) && comment.Contains("first", StringComparison.Ordinal),
        };
        _server.Responder = critic.Respond;

        var (exit, _, err, results) = await EvalAsync("judge", "--judge", "--samples", "3");
        Assert.True(exit == ExitCodes.Success, err);

        // Kept comments on buggy cases: a's bug comment (body "Skips the first element.", matching a's bug) and b's risk
        // (about the handle: matches nothing, although b's bug mentions "first"). Bugs: a matched; b, c not.
        Assert.Equal(1.0 / 2, Metric(results, "judge_precision")!.Value, 6);
        Assert.Equal(1.0 / 3, Metric(results, "judge_recall")!.Value, 6);
        Assert.Equal(2 * 0.5 * (1.0 / 3) / (0.5 + (1.0 / 3)), Metric(results, "judge_f1")!.Value, 6);
        var judgeCalls = _server.Requests.Count(r => r.Messages[0].Content.StartsWith("You grade", StringComparison.Ordinal));
        Assert.Equal(2, judgeCalls); // one comment x one bug in a and in b; none on the clean case
    }
}
