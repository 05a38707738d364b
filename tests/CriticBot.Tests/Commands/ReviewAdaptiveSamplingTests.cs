using System.Text.Json;
using CriticBot.Commands;
using CriticBot.Testing.FakeModel;

namespace CriticBot.Tests.Review;

/// <summary>`criticbot review` reads CRITICBOT_ADAPTIVE_SAMPLING: samples that agree stop early, over HTTP to the fake model.</summary>
public sealed class ReviewAdaptiveSamplingTests : IAsyncLifetime
{
    private const string Diff = "diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1,2 +1,2 @@\n def add(a, b):\n-    return a + b\n+    return a - b\n";

    private readonly string _work = Path.Combine(Path.GetTempPath(), "criticbot-review-adaptive-" + Guid.NewGuid().ToString("N"));
    private FakeModelServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await FakeModelServer.StartAsync();
        _server.Responder = ImperfectCritic.Perfect([new PlantedFinding("calc.py", "return a - b", 2, "bug", "Subtracts instead of adding.")]).Respond;
        Directory.CreateDirectory(_work);
        await File.WriteAllTextAsync(Path.Combine(_work, "change.diff"), Diff);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    private async Task<(int Exit, string Out, string Err, int Requests)> ReviewAsync(string? adaptive)
    {
        var before = _server.Requests.Count;
        var environment = new Dictionary<string, string?>
        {
            ["OPENAI_BASE_URL"] = _server.BaseUrl.ToString(),
            ["OPENAI_API_KEY"] = "test-key",
            ["CRITICBOT_MODEL"] = "fake-critic",
            ["CRITICBOT_SAMPLES"] = "3",
            ["CRITICBOT_ADAPTIVE_SAMPLING"] = adaptive,
        };
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await CriticBotCli.RunAsync(
            ["review", "--diff", Path.Combine(_work, "change.diff"), "--format", "json"], stdout, stderr, new StringReader(""), environment);
        return (exit, stdout.ToString(), stderr.ToString(), _server.Requests.Count - before);
    }

    [Fact]
    public async Task Agreeing_samples_stop_after_two_of_three_only_when_the_setting_is_true()
    {
        var adaptive = await ReviewAsync("true");
        Assert.True(adaptive.Exit == ExitCodes.Success, adaptive.Err);
        Assert.Equal(2, adaptive.Requests);
        using (var json = JsonDocument.Parse(adaptive.Out))
        {
            Assert.Equal(2, json.RootElement.GetProperty("comments")[0].GetProperty("support").GetInt32());
        }

        Assert.Equal(3, (await ReviewAsync(null)).Requests);   // off by default
        Assert.Equal(3, (await ReviewAsync("false")).Requests);

        var bad = await ReviewAsync("yes");
        Assert.Equal(ExitCodes.Usage, bad.Exit);
        Assert.Contains("CRITICBOT_ADAPTIVE_SAMPLING must be true or false, not 'yes'", bad.Err, StringComparison.Ordinal);
        Assert.Equal(0, bad.Requests);
    }
}
