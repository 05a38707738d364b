using System.CommandLine;
using CriticBot.Export;
using CriticBot.Export.Files;
using CriticBot.Export.Rows;
using CriticBot.Observability;
using CriticBot.Storage;

namespace CriticBot.Commands;

/// <summary>
/// <c>criticbot export --format kto|dpo|openai-dpo|sft|ratings [--out FILE|DIR] [--since DATE] [--until DATE]
/// [--repo OWNER/NAME]... [--min-permission read|triage|write|maintain|admin] [--include-private] [--split FRACTION]
/// [--seed N] [--raw-logins]</c>: the feedback log as training and evaluation data (docs/export.md). Reads the
/// database CRITICBOT_DATABASE names. Exit 0; 1 when the database cannot be read or the files cannot be written;
/// 2 for bad usage.
/// </summary>
public static class ExportCommand
{
    private static readonly string[] Formats = [.. Enum.GetValues<ExportFormat>().Select(f => f.ToName())];

    /// <summary>The flags, parsed but not yet checked.</summary>
    public sealed record Arguments
    {
        public required string Format { get; init; }
        public string? Out { get; init; }
        public string? Since { get; init; }
        public string? Until { get; init; }
        public IReadOnlyList<string> Repositories { get; init; } = [];
        public string? MinPermission { get; init; }
        public bool IncludePrivate { get; init; }
        public double? Split { get; init; }
        public int Seed { get; init; }
        public bool RawLogins { get; init; }
    }

    public static Command Create(IReadOnlyDictionary<string, string?>? environment = null)
    {
        var format = new Option<string>("--format") { Description = "kto, dpo, openai-dpo, sft or ratings.", Required = true };
        format.AcceptOnlyFromAmong(Formats);
        var output = new Option<string?>("--out") { Description = "A .jsonl or .parquet file, or a folder for a Hugging Face dataset (default: JSON Lines on standard output)." };
        var since = new Option<string?>("--since") { Description = "Only feedback given from this date (YYYY-MM-DD, UTC) or time (ISO 8601)." };
        var until = new Option<string?>("--until") { Description = "Only feedback given before this time, or up to the end of this date (YYYY-MM-DD, UTC)." };
        var repo = new Option<string[]>("--repo") { Description = "Only this repository, as OWNER/NAME (repeatable)." };
        var minPermission = new Option<string?>("--min-permission") { Description = "Ignore raters below this role: read, triage, write (default for labels), maintain or admin." };
        minPermission.AcceptOnlyFromAmong("read", "triage", "write", "maintain", "admin");
        var includePrivate = new Option<bool>("--include-private") { Description = "Export private repositories even without share_feedback: true." };
        var split = new Option<double?>("--split") { Description = "Share of pull requests in train (0 to 1, exclusive); the rest in test." };
        var seed = new Option<int>("--seed") { Description = "Seed of the split by pull request (default 0)." };
        var rawLogins = new Option<bool>("--raw-logins") { Description = "Write raters' logins instead of pseudonyms (for operators exporting their own data)." };
        var command = new Command("export", "The feedback log as training and evaluation data: TRL (kto, dpo, sft), OpenAI (openai-dpo), raw ratings.")
        {
            format, output, since, until, repo, minPermission, includePrivate, split, seed, rawLogins,
        };
        command.SetAction((parse, ct) => RunAsync(new Arguments
        {
            Format = parse.GetValue(format)!,
            Out = parse.GetValue(output),
            Since = parse.GetValue(since),
            Until = parse.GetValue(until),
            Repositories = parse.GetValue(repo) ?? [],
            MinPermission = parse.GetValue(minPermission),
            IncludePrivate = parse.GetValue(includePrivate),
            Split = parse.GetValue(split),
            Seed = parse.GetValue(seed),
            RawLogins = parse.GetValue(rawLogins),
        }, environment ?? CommandInput.ProcessEnvironment(), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, ct));
        return command;
    }

    public static async Task<int> RunAsync(Arguments arguments, IReadOnlyDictionary<string, string?> environment, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (Problem(arguments) is { } problem)
        {
            await stderr.WriteLineAsync($"criticbot: {problem}");
            return ExitCodes.Usage;
        }

        var options = Options(arguments);

        if (await CommandDatabase.LocateExistingAsync(environment, stderr) is not { } location)
        {
            return ExitCodes.Usage;
        }

        CriticBotStore? store = null;
        Pseudonyms pseudonyms;
        IReadOnlyDictionary<string, RepositorySharing> sharing;
        long total;
        try
        {
            store = CriticBotStore.Open(location);
            await store.MigrateAsync(ct);
            var salt = environment.GetValueOrDefault(Pseudonyms.SaltVariable);
            pseudonyms = arguments.RawLogins ? Pseudonyms.Raw
                : Pseudonyms.Keyed(string.IsNullOrEmpty(salt) ? await store.GetOrCreateExportKeyAsync(Pseudonyms.KeyName, Pseudonyms.NewKey, ct) : salt);
            sharing = await store.ListRepositorySharingAsync(ct);
            // The total is for the progress bar's ETA: counted (a scan of its own) only when a bar is shown.
            total = ExportProgress.Visible(stderr) ? await store.CountExportEventsAsync(options.Filter, ct) : 0;
        }
        catch (Exception ex)
        {
            if (store is not null)
            {
                await store.DisposeAsync();
            }

            if (ex is OperationCanceledException)
            {
                throw;
            }

            await stderr.WriteLineAsync($"criticbot: export failed: cannot read the database: {ex.GetType().Name}: {ex.Message}");
            return ExitCodes.Failure;
        }

        await using (store)
        {
            var progress = ExportProgress.For(stderr, total);
            var exporter = new FeedbackExporter(store, options, pseudonyms, new PullRequestSplit(arguments.Split, arguments.Seed), sharing, progress);
            var card = (ExportSummary summary) => Card(arguments, options, store.Kind, summary, pseudonyms.Pseudonymise);
            try
            {
                var paths = options.Format switch
                {
                    ExportFormat.Kto => await WriteAsync<KtoRow>(arguments, stdout, exporter.ExportKtoAsync, exporter, card, ct),
                    ExportFormat.Dpo => await WriteAsync<DpoRow>(arguments, stdout, exporter.ExportDpoAsync, exporter, card, ct),
                    ExportFormat.OpenAiDpo => await WriteAsync<OpenAiDpoRow>(arguments, stdout, exporter.ExportOpenAiDpoAsync, exporter, card, ct),
                    ExportFormat.Sft => await WriteAsync<SftRow>(arguments, stdout, exporter.ExportSftAsync, exporter, card, ct),
                    _ => await WriteAsync<RatingRow>(arguments, stdout, exporter.ExportRatingsAsync, exporter, card, ct),
                };
                progress.Finish();
                var to = paths.Count == 0 ? "" : " to " + string.Join(", ", paths);
                await stderr.WriteLineAsync(exporter.Summary.ToLine(options.Format) + to);
                return ExitCodes.Success;
            }
            catch (ExportOutputException ex)
            {
                progress.Finish();
                await stderr.WriteLineAsync($"criticbot: {ex.Message}");
                return ExitCodes.Usage;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                progress.Finish();
                await stderr.WriteLineAsync($"criticbot: export failed: {ex.GetType().Name}: {ex.Message}");
                return ExitCodes.Failure;
            }
        }
    }

    private static async Task<IReadOnlyList<string>> WriteAsync<TRow>(Arguments arguments, TextWriter stdout,
        Func<IExportSink<TRow>, CancellationToken, Task> export, FeedbackExporter exporter, Func<ExportSummary, DatasetCard> card, CancellationToken ct)
        where TRow : class
    {
        await using var sink = ExportSinks.Open<TRow>(arguments.Out, arguments.Split is not null, stdout);
        await export(sink, ct);
        await sink.CompleteAsync(card(exporter.Summary), ct);
        return sink.OutputPaths;
    }

    private static DatasetCard Card(Arguments arguments, ExportOptions options, DatabaseKind kind, ExportSummary summary, bool pseudonymised)
    {
        var filters = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["--format"] = options.Format.ToName(),
            ["--min-permission"] = options.MinPermission?.ToName() ?? (options.Format == ExportFormat.Ratings ? "(every rater)" : "write"),
        };
        if (arguments.Since is { } since) filters["--since"] = since;
        if (arguments.Until is { } until) filters["--until"] = until;
        if (arguments.Repositories.Count > 0) filters["--repo"] = string.Join(", ", arguments.Repositories);
        if (arguments.IncludePrivate) filters["--include-private"] = "true";
        return new DatasetCard
        {
            Format = options.Format.ToName(),
            DescriptionMarkdown = Description(options.Format),
            LabelRuleMarkdown = FeedbackLabels.RuleMarkdown,
            RowsPerLabel = summary.RowsPerLabel,
            Pairs = options.Format is ExportFormat.Dpo or ExportFormat.OpenAiDpo ? summary.Pairs : null,
            Skipped = summary.Skipped,
            CriticBotVersion = CriticBotTelemetry.Version,
            ExportedAt = DateTimeOffset.UtcNow,
            Filters = filters,
            DatabaseKind = kind == DatabaseKind.PostgreSql ? "PostgreSQL" : "SQLite",
            SplitFraction = arguments.Split,
            SplitSeed = arguments.Split is null ? null : arguments.Seed,
            LoginsPseudonymised = pseudonymised,
            IncludesPrivateRepositories = arguments.IncludePrivate,
        };
    }

    private static string Description(ExportFormat format) => format switch
    {
        ExportFormat.Kto => "TRL's unpaired preference format (KTO), conversational: `prompt` is the chat messages the critic was sent for a chunk (system, user), `completion` the assistant turn holding one highlight in the critic's output format, `label` the maintainers' verdict.",
        ExportFormat.Dpo => "TRL's preference format (DPO), conversational: on one prompt, a highlight maintainers rated positively (`chosen`) against one they rated negatively (`rejected`); and a maintainer's missed-bug report, as a critique, chosen over the critique that missed it.",
        ExportFormat.OpenAiDpo => "OpenAI's preference fine-tuning rows (`input.messages`, `preferred_output`, `non_preferred_output`): the same pairs as the dpo format.",
        ExportFormat.Sft => "Chat rows (`messages`: system, user, assistant) whose assistant turn holds only the highlights maintainers confirmed, in the critic's output format.",
        _ => "The raw feedback log, one row per event (nothing aggregated), joined with the comment, candidate and sample it is about.",
    };

    private static string? Problem(Arguments a)
    {
        if (ExportFormats.Parse(a.Format) is null)
        {
            return $"--format must be one of {string.Join(", ", Formats)}.";
        }

        foreach (var repository in a.Repositories)
        {
            if (!CommandInput.IsRepositoryName(repository.Trim()))
            {
                return "--repo must be OWNER/NAME, e.g. octo-org/octo-repo.";
            }
        }

        if (a.Since is not null && CommandInput.ParseTime(a.Since, endOfDay: false) is null)
        {
            return "--since must be a date (YYYY-MM-DD) or an ISO 8601 time.";
        }

        if (a.Until is not null && CommandInput.ParseTime(a.Until, endOfDay: true) is null)
        {
            return "--until must be a date (YYYY-MM-DD) or an ISO 8601 time.";
        }

        if (a.Since is not null && a.Until is not null && CommandInput.ParseTime(a.Until, true) <= CommandInput.ParseTime(a.Since, false))
        {
            return "--until must be after --since.";
        }

        if (a.MinPermission is not null && !RaterRoles.TryParseOption(a.MinPermission, out _))
        {
            return "--min-permission must be read, triage, write, maintain or admin.";
        }

        if (a.Split is { } split && !(split > 0 && split < 1))
        {
            return "--split must be a fraction between 0 and 1 (exclusive), e.g. 0.9.";
        }

        if (a.Split is not null && string.IsNullOrWhiteSpace(a.Out))
        {
            return "--split writes two files: give --out a .jsonl or .parquet file or a folder.";
        }

        return null;
    }

    private static ExportOptions Options(Arguments a) => new()
    {
        Format = ExportFormats.Parse(a.Format)!.Value,
        Filter = new ExportFilter
        {
            Repositories = [.. a.Repositories.Select(r => r.Trim())],
            Since = a.Since is null ? null : CommandInput.ParseTime(a.Since, endOfDay: false),
            Until = a.Until is null ? null : CommandInput.ParseTime(a.Until, endOfDay: true),
        },
        MinPermission = a.MinPermission is null ? null : RaterRoles.Parse(a.MinPermission),
        IncludePrivate = a.IncludePrivate,
    };
}
