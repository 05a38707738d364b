using CriticBot.Commands;
using CriticBot.Hosting;
using CriticBot.Tests.Fixtures;
using Microsoft.Extensions.Configuration;

namespace CriticBot.Tests.Storage;

/// <summary>Storage:* retention settings are checked before serve starts.</summary>
public sealed class RetentionSettingsTests : IDisposable
{
    private readonly TestDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Theory]
    [InlineData("Storage:RetentionDays", "0", "Storage:RetentionDays")]
    [InlineData("Storage:RetentionDays", "-5", "Storage:RetentionDays")]
    [InlineData("Storage:ResearchRetentionDays", "7", "Storage:ResearchRetentionDays")]
    [InlineData("Storage:ResearchRetentionDays", "-1", "Storage:ResearchRetentionDays")]
    [InlineData("Storage:PruneInterval", "00:00:00", "Storage:PruneInterval")]
    public async Task A_bad_retention_setting_refuses_to_start_with_one_line_naming_it(string setting, string value, string named)
    {
        var settings = TestService.DefaultSettings(_database, "secret");
        settings[setting] = value;
        var stderr = new StringWriter();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var exitCode = await ServeCommand.RunAsync(["--urls", "http://127.0.0.1:0"], stderr,
            builder => builder.Configuration.AddInMemoryCollection(settings), stop.Token);

        Assert.Equal(2, exitCode);
        Assert.Contains(named, stderr.ToString(), StringComparison.Ordinal);
        Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
