using System.Reflection;
using CriticBot.Hosting;
using CriticBot.Commands;
using CriticBot.Tests.Fixtures;
using Microsoft.Extensions.Configuration;

namespace CriticBot.Tests.Serve;

public sealed class VersionAndDevTests
{
    [Fact]
    public async Task Version_prints_the_assemblys_informational_version()
    {
        var expected = typeof(ServeHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        // The real executable: System.CommandLine reads the entry assembly's version (in-process it would be the test host's).
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "criticbot.dll"));
        start.ArgumentList.Add("--version");
        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = await process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(0, process.ExitCode);
        Assert.Equal(expected, stdout.Trim());
        Assert.StartsWith("0.1.0", expected, StringComparison.Ordinal);
        Assert.Equal(expected, CriticBot.Observability.CriticBotTelemetry.Version);
    }

    [Fact]
    public async Task Serve_dev_prints_the_local_webhook_URL_for_a_proxy()
    {
        using var database = new TestDatabase();
        var settings = TestService.DefaultSettings(database, "secret");
        var output = new StringWriter();
        using var stop = new CancellationTokenSource();
        var run = ServeCommand.RunAsync(["--urls", "http://127.0.0.1:0"], new StringWriter(),
            builder => builder.Configuration.AddInMemoryCollection(settings), stop.Token, devOutput: output);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!output.ToString().Contains("smee", StringComparison.Ordinal) && DateTime.UtcNow < deadline && !run.IsCompleted)
            await Task.Delay(50);
        await stop.CancelAsync();
        Assert.Equal(0, await run);

        var text = output.ToString();
        Assert.Matches(@"webhook URL for your proxy: http://127\.0\.0\.1:\d+/api/github/webhooks", text);
        Assert.Contains("npx smee-client --url https://smee.io/", text, StringComparison.Ordinal);
    }
}
