using System.CommandLine;
using CriticBot.Feedback;
using CriticBot.Storage;
using Microsoft.Extensions.Configuration;

namespace CriticBot.Commands;

/// <summary>
/// <c>criticbot stats [--repo OWNER/NAME] [--since DATE] [--format text|json]</c>: per repository and severity (and
/// per precision setting), comments posted, rated, the positive/negative/neutral share, the addressed share and
/// the missed bugs reported. Reads the database CRITICBOT_DATABASE names. Exit 0; 1 when the database cannot be
/// read; 2 for bad usage.
/// </summary>
public static class StatsCommand
{
    public static Command Create(IReadOnlyDictionary<string, string?>? environment = null)
    {
        var repo = new Option<string?>("--repo") { Description = "Only this repository, as OWNER/NAME." };
        var since = new Option<string?>("--since") { Description = "Only comments posted and feedback given from this date (YYYY-MM-DD, UTC) or time (ISO 8601)." };
        var format = new Option<string>("--format") { Description = "text (default) or json.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var command = new Command("stats", "What maintainers thought of the posted comments: ratings, addressed comments, missed bugs.") { repo, since, format };
        command.SetAction((parse, ct) => RunAsync(
            parse.GetValue(repo), parse.GetValue(since), parse.GetValue(format) ?? "text",
            environment ?? CommandInput.ProcessEnvironment(), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, ct));
        return command;
    }

    public static async Task<int> RunAsync(string? repository, string? since, string format,
        IReadOnlyDictionary<string, string?> environment, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        repository = repository?.Trim();
        if (repository is not null && !CommandInput.IsRepositoryName(repository))
        {
            await stderr.WriteLineAsync("criticbot: --repo must be OWNER/NAME, e.g. octo-org/octo-repo.");
            return ExitCodes.Usage;
        }

        DateTimeOffset? from = null;
        if (since is not null)
        {
            if (CommandInput.ParseTime(since, endOfDay: false) is not { } parsed)
            {
                await stderr.WriteLineAsync("criticbot: --since must be a date (YYYY-MM-DD) or an ISO 8601 time.");
                return ExitCodes.Usage;
            }

            from = parsed;
        }

        if (await CommandDatabase.LocateExistingAsync(environment, stderr) is not { } location)
        {
            return ExitCodes.Usage;
        }

        try
        {
            await using var store = CriticBotStore.Open(location);
            await store.MigrateAsync(ct);
            var stats = FeedbackStats.Compute(
                await store.ListCommentsForStatsAsync(repository, from, ct),
                await store.ListAllEventsAsync(repository, from, ct));
            await stdout.WriteAsync(format == "json" ? FeedbackStats.ToJson(stats) + Environment.NewLine : FeedbackStats.ToText(stats));
            return ExitCodes.Success;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await stderr.WriteLineAsync($"criticbot: stats failed: {ex.GetType().Name}: {ex.Message}");
            return ExitCodes.Failure;
        }
    }
}
