using System.Diagnostics;
using System.Text.Json.Nodes;
using CriticBot.Commands;
using CriticBot.Eval;
using CriticBot.Testing.FakeModel;

namespace CriticBot.Tests.Eval;

/// <summary>Interruption and resumption, bad dataset lines, the HTML report in a real browser, and compare.</summary>
public sealed class EvalRunTests : IAsyncLifetime
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "criticbot-evalrun-" + Guid.NewGuid().ToString("N"));
    private FakeModelServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeModelServer.StartAsync();
        Directory.CreateDirectory(_work);
        await File.WriteAllLinesAsync(Path.Combine(_work, "cases.jsonl"), EvalMetricsTests.DatasetLines);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    private EvalArguments Arguments(string outName, int concurrency = 1) => new()
    {
        DatasetPath = Path.Combine(_work, "cases.jsonl"),
        OutDirectory = Path.Combine(_work, outName),
        CacheDirectory = Path.Combine(_work, "cache"),
        Samples = 3,
        Concurrency = concurrency,
        Sweep = true,
    };

    private static JsonObject Results(string directory) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(directory, "results.json")))!.AsObject();

    [Fact]
    public async Task An_interrupted_run_leaves_a_partial_report_and_the_rerun_resumes_from_the_cache()
    {
        using var interrupt = new CancellationTokenSource();
        var critic = new ScriptedCritic(EvalMetricsTests.Script())
        {
            // Ctrl-C as case c starts (cases run one at a time, in order).
            OnRequest = file =>
            {
                if (file == "c.py")
                {
                    interrupt.Cancel();
                }
            },
        };
        _server.Responder = critic.Respond;
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await EvalCommand.RunAsync(Arguments("run"), stdout, stderr, EvalMetricsTests.ModelEnvironment(_server), interrupt.Token);

        Assert.Equal(ExitCodes.Failure, exit);
        Assert.Contains("interrupted after 2 cases", stderr.ToString(), StringComparison.Ordinal);
        var partial = Results(Path.Combine(_work, "run"));
        Assert.True(partial["partial"]!.GetValue<bool>());
        Assert.Equal(["a", "b"], partial["cases"]!.AsArray().Select(c => c!["id"]!.GetValue<string>()));
        Assert.Equal(2, partial["dataset"]!["cases_not_run"]!.GetValue<int>());
        Assert.Equal(1.0 / 2, partial["metrics"]!["catch_rate"]!["value"]!.GetValue<double>(), 6); // a caught, b not
        Assert.True(File.Exists(Path.Combine(_work, "run", "report.html")));
        var askedBefore = _server.Requests.Count;

        // The same command again: a and b come from the cache; only c and d reach the model.
        using var stdout2 = new StringWriter();
        using var stderr2 = new StringWriter();
        var critic2 = new ScriptedCritic(EvalMetricsTests.Script());
        _server.Responder = critic2.Respond;
        var exit2 = await EvalCommand.RunAsync(Arguments("run"), stdout2, stderr2, EvalMetricsTests.ModelEnvironment(_server), CancellationToken.None);
        Assert.True(exit2 == ExitCodes.Success, stderr2.ToString());
        var resumed = _server.Requests.Skip(askedBefore).ToList();
        Assert.DoesNotContain(resumed, r => r.Messages[^1].Content.Contains("### FILE: a.py", StringComparison.Ordinal) || r.Messages[^1].Content.Contains("### FILE: b.py", StringComparison.Ordinal));
        var complete = Results(Path.Combine(_work, "run"));
        Assert.False(complete["partial"]!.GetValue<bool>());
        Assert.Equal(4, complete["cases"]!.AsArray().Count);
        Assert.Equal(1.0 / 3, complete["metrics"]!["catch_rate"]!["value"]!.GetValue<double>(), 6);
        Assert.Equal(1.0, complete["metrics"]!["false_alarms_per_clean_case"]!["value"]!.GetValue<double>(), 6);
        Assert.True(complete["totals"]!["cached_calls"]!.GetValue<int>() >= 6);
    }

    [Fact]
    public async Task Ctrl_C_on_the_real_process_stops_it_with_a_partial_report()
    {
        using var arrived = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var critic = new ScriptedCritic(EvalMetricsTests.Script())
        {
            // Case c's first request waits: the run is mid-case when SIGINT comes.
            OnRequest = file =>
            {
                if (file == "c.py")
                {
                    arrived.Set();
                    release.Wait(TimeSpan.FromSeconds(60));
                }
            },
        };
        _server.Responder = critic.Respond;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["criticbot.dll", "eval", "--dataset", Path.Combine(_work, "cases.jsonl"), "--out", Path.Combine(_work, "sigint"), "--samples", "3", "--concurrency", "1"])
        {
            start.ArgumentList.Add(argument == "criticbot.dll" ? Path.Combine(AppContext.BaseDirectory, argument) : argument);
        }

        foreach (var (key, value) in EvalMetricsTests.ModelEnvironment(_server))
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        try
        {
            Assert.True(arrived.Wait(TimeSpan.FromSeconds(120)), "case c never reached the model");
            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
            {
                await kill.WaitForExitAsync();
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            release.Set();
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        Assert.Equal(ExitCodes.Failure, process.ExitCode);
        Assert.Contains("interrupted after 2 cases", await stderr, StringComparison.Ordinal);
        var partial = Results(Path.Combine(_work, "sigint"));
        Assert.True(partial["partial"]!.GetValue<bool>());
        Assert.Equal(["a", "b"], partial["cases"]!.AsArray().Select(c => c!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_model_that_refuses_the_key_stops_the_run_with_exit_3_and_a_partial_report()
    {
        await using var refusing = await FakeModelServer.StartAsync(new FakeModelServerOptions { ExpectedApiKey = "the-right-key" });
        using var stderr = new StringWriter();
        var exit = await EvalCommand.RunAsync(Arguments("refused"), new StringWriter(), stderr, EvalMetricsTests.ModelEnvironment(refusing), CancellationToken.None);

        Assert.Equal(ExitCodes.ModelUnavailable, exit);
        Assert.Contains("the model is unavailable", stderr.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("test-key", stderr.ToString(), StringComparison.Ordinal);
        var results = Results(Path.Combine(_work, "refused"));
        Assert.True(results["partial"]!.GetValue<bool>());
        Assert.Empty(results["cases"]!.AsArray());
        Assert.Equal(4, results["dataset"]!["cases_not_run"]!.GetValue<int>());
    }

    [Fact]
    public async Task Bad_lines_are_reported_with_their_number_and_skipped_and_nothing_usable_is_exit_2()
    {
        _server.Responder = new ScriptedCritic(EvalMetricsTests.Script()).Respond;
        var path = Path.Combine(_work, "mixed.jsonl");
        await File.WriteAllLinesAsync(path,
        [
            EvalMetricsTests.DatasetLines[0],
            "this is not json",
            """{"id":"nodiff","bugs":[]}""",
            """{"id":"outside","diff":"--- a/x.py\n+++ b/x.py\n@@ -1,1 +1,1 @@\n-a = 1\n+a = 2\n","bugs":[{"path":"x.py","line":40,"description":"far away"}]}""",
            EvalMetricsTests.DatasetLines[0],
        ]);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await CriticBotCli.RunAsync(["eval", "--dataset", path, "--out", Path.Combine(_work, "mixed"), "--samples", "3"], stdout, stderr, new StringReader(""), EvalMetricsTests.ModelEnvironment(_server));

        Assert.True(exit == ExitCodes.Success, stderr.ToString());
        var err = stderr.ToString();
        Assert.Contains("line 2: not JSON", err, StringComparison.Ordinal);
        Assert.Contains("line 3: case 'nodiff' has no \"diff\"", err, StringComparison.Ordinal);
        Assert.Contains("line 4: case 'outside', bug 1: line 40 of 'x.py' is outside the diff", err, StringComparison.Ordinal);
        Assert.Contains("line 5: the id 'a' was already used", err, StringComparison.Ordinal);
        var results = Results(Path.Combine(_work, "mixed"));
        Assert.Equal(1, results["dataset"]!["cases_scored"]!.GetValue<int>());
        Assert.Equal([2, 3, 4, 5], results["dataset"]!["skipped_lines"]!.AsArray().Select(p => p!["line"]!.GetValue<int>()));

        await File.WriteAllLinesAsync(path, ["nope", "{}"]);
        using var stderr2 = new StringWriter();
        var exit2 = await CriticBotCli.RunAsync(["eval", "--dataset", path, "--out", Path.Combine(_work, "none")], new StringWriter(), stderr2, new StringReader(""), EvalMetricsTests.ModelEnvironment(_server));
        Assert.Equal(ExitCodes.Usage, exit2);
        Assert.Contains("holds no usable case", stderr2.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_report_escapes_untrusted_text_and_renders_in_a_real_headless_browser()
    {
        // A hostile case id, bug description and model output: all must show as text, none may run or load.
        var hostile = new JsonObject
        {
            ["id"] = "<script>document.title='pwned'</script>",
            ["diff"] = "diff --git a/h.py b/h.py\n--- a/h.py\n+++ b/h.py\n@@ -1,1 +1,2 @@\n x = 1\n+y = \"<img src=x onerror=alert(1)>\"\n",
            ["bugs"] = JsonNode.Parse("""[{"path":"h.py","line":2,"description":"<b>bold</b> & <iframe src=//evil>"}]"""),
        }.ToJsonString();
        await File.WriteAllLinesAsync(Path.Combine(_work, "cases.jsonl"), [.. EvalMetricsTests.DatasetLines, hostile]);
        var script = EvalMetricsTests.Script();
        script["h.py"] = [[new("h.py", 2, "y = \"<img src=x onerror=alert(1)>\"", "bug", "<script>alert('model')</script> is injected")], [], []];
        _server.Responder = new ScriptedCritic(script).Respond;
        var exit = await EvalCommand.RunAsync(Arguments("html", concurrency: 2), new StringWriter(), new StringWriter(), EvalMetricsTests.ModelEnvironment(_server), CancellationToken.None);
        Assert.Equal(ExitCodes.Success, exit);

        var reportPath = Path.Combine(_work, "html", "report.html");
        var html = await File.ReadAllTextAsync(reportPath);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<iframe", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);

        // Debian's chromium, headless: the page renders (a screenshot), and its DOM holds the hostile text as text only.
        var chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);
        Assert.True(chromium is not null, "chromium is not installed: scripts/test.sh installs it (apt-get install chromium)");
        var screenshot = Path.Combine(_work, "report.png");
        var profile = Path.Combine(_work, "chromium-profile");
        var shot = await RunChromiumAsync(chromium!, ["--headless", "--no-sandbox", "--disable-gpu", $"--user-data-dir={profile}", "--window-size=1200,2000", $"--screenshot={screenshot}", new Uri(reportPath).AbsoluteUri]);
        Assert.True(File.Exists(screenshot), $"no screenshot: {shot}");
        var png = await File.ReadAllBytesAsync(screenshot);
        Assert.True(png.Length > 5_000, $"the screenshot is only {png.Length} bytes");
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, png[..4]);

        var dom = await RunChromiumAsync(chromium!, ["--headless", "--no-sandbox", "--disable-gpu", $"--user-data-dir={profile}", "--dump-dom", new Uri(reportPath).AbsoluteUri]);
        Assert.Contains("CriticBot eval", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("pwned", Title(dom), StringComparison.Ordinal);
        Assert.DoesNotContain("<script", dom, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<img", dom, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;iframe src=//evil&gt;", dom, StringComparison.Ordinal);
        Assert.Contains("<svg", dom, StringComparison.Ordinal);
    }

    private static string Title(string dom)
    {
        var start = dom.IndexOf("<title>", StringComparison.Ordinal);
        var end = dom.IndexOf("</title>", StringComparison.Ordinal);
        return start < 0 || end < start ? "" : dom[start..end];
    }

    private static async Task<string> RunChromiumAsync(string chromium, string[] arguments)
    {
        var info = new ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return await output + await error;
    }

    [Fact]
    public async Task Compare_shows_two_runs_side_by_side_and_which_differences_are_significant()
    {
        _server.Responder = new ScriptedCritic(EvalMetricsTests.Script()).Respond;
        var environment = EvalMetricsTests.ModelEnvironment(_server);
        Assert.Equal(ExitCodes.Success, await EvalCommand.RunAsync(Arguments("loose") with { Sweep = false, Precision = 0.2 }, new StringWriter(), new StringWriter(), environment, CancellationToken.None));
        Assert.Equal(ExitCodes.Success, await EvalCommand.RunAsync(Arguments("tight") with { Sweep = false, Precision = 0.9 }, new StringWriter(), new StringWriter(), environment, CancellationToken.None));
        Assert.Equal(12, _server.Requests.Count); // the second run came from the cache

        using var stdout = new StringWriter();
        var exit = await CriticBotCli.RunAsync(["eval", "compare", Path.Combine(_work, "loose", "results.json"), Path.Combine(_work, "tight", "results.json")], stdout, new StringWriter(), new StringReader(""));
        Assert.Equal(ExitCodes.Success, exit);
        var lines = stdout.ToString().Split('\n');

        // Comments per case: 1.25 at 0.2 against 0.25 at 0.9. Bootstrap intervals over 4 cases: [0.5, 2] and [0, 0.75]; they overlap.
        var comments = lines.Single(l => l.StartsWith("| Comments per case", StringComparison.Ordinal));
        Assert.Contains("| 1.25 [", comments, StringComparison.Ordinal);
        Assert.Contains("| 0.25 [", comments, StringComparison.Ordinal);
        Assert.Contains("| -1 |", comments, StringComparison.Ordinal);
        // Catch rate is the same in both (a only): never significant; the paired bootstrap says so too.
        Assert.EndsWith("| 0.0% | no |", lines.Single(l => l.StartsWith("| Catch rate", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("Paired bootstrap on 3 shared cases: catch rate B - A = 0.0% [0.0%, 0.0%]: not significant", StringComparison.Ordinal));

        // Intervals that do not overlap are called significant.
        var a = JsonNode.Parse("""{"format":"criticbot-eval/1","metrics":{"catch_rate":{"value":0.9,"low":0.8,"high":0.95,"cases":50}},"cases":[]}""")!.AsObject();
        var b = JsonNode.Parse("""{"format":"criticbot-eval/1","metrics":{"catch_rate":{"value":0.5,"low":0.4,"high":0.6,"cases":50}},"cases":[]}""")!.AsObject();
        Assert.Contains("yes (intervals do not overlap)", EvalCompare.Compare(a, b, "a", "b"), StringComparison.Ordinal);

        using var stderr = new StringWriter();
        Assert.Equal(ExitCodes.Usage, await CriticBotCli.RunAsync(["eval", "compare", Path.Combine(_work, "cases.jsonl"), Path.Combine(_work, "missing.json")], new StringWriter(), stderr, new StringReader("")));
        Assert.StartsWith("criticbot: cannot compare", stderr.ToString(), StringComparison.Ordinal);
    }
}
