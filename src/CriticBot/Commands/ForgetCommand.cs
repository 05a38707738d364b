using System.CommandLine;
using System.Globalization;
using CriticBot.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace CriticBot.Commands;

/// <summary>
/// <c>criticbot forget --repo OWNER/NAME</c>: deletes everything the database holds about one repository
/// (deliveries, reviews, candidates, model calls, posted comments, prompts nothing else uses) and prints the counts.
/// The database is <c>CRITICBOT_DATABASE</c> from the environment, else appsettings.json next to the executable.
/// </summary>
public static class ForgetCommand
{
    public static Command Create(IReadOnlyDictionary<string, string?>? environment = null)
    {
        var repo = new Option<string>("--repo")
        {
            Description = "The repository whose data to delete, as OWNER/NAME (compared case-insensitively).",
            Required = true,
        };
        var command = new Command("forget", "Delete everything stored about one repository.") { repo };
        command.SetAction((parse, ct) => RunAsync(
            parse.GetValue(repo)!,
            environment ?? CommandInput.ProcessEnvironment(),
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error,
            ct));
        return command;
    }

    public static async Task<int> RunAsync(
        string repository, IReadOnlyDictionary<string, string?> environment, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        repository = repository.Trim();
        if (!CommandInput.IsRepositoryName(repository))
        {
            await stderr.WriteLineAsync("criticbot: --repo must be OWNER/NAME, e.g. octo-org/octo-repo.");
            return ExitCodes.Usage;
        }

        if (await CommandDatabase.LocateExistingAsync(environment, stderr) is not { } location)
        {
            return ExitCodes.Usage;
        }

        try
        {
            await using var store = CriticBotStore.Open(location);
            await store.MigrateAsync(ct);
            var counts = await store.ForgetRepositoryAsync(repository, ct);
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"forgot {repository}: {counts.Deliveries} deliveries, {counts.Reviews} reviews, {counts.Candidates} candidates, " +
                $"{counts.ModelCalls} model calls, {counts.Comments} comments, {counts.Prompts} prompts"));
            return ExitCodes.Success;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            await stderr.WriteLineAsync($"criticbot: forget failed: {ex.GetType().Name}: {ex.Message}");
            return ExitCodes.Failure;
        }
    }
}
