using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CriticBot.Eval;
using CriticBot.Engine;
using CriticBot.Engine.Model;
using Microsoft.Extensions.Configuration;

namespace CriticBot.Commands;

/// <summary>The arguments of <c>criticbot eval</c>.</summary>
public sealed record EvalArguments
{
    public required string DatasetPath { get; init; }
    public string OutDirectory { get; init; } = "eval-out";
    public string? CacheDirectory { get; init; }
    public int? Samples { get; init; }

    /// <summary>Null: <c>CRITICBOT_ADAPTIVE_SAMPLING</c>, else off.</summary>
    public bool? AdaptiveSampling { get; init; }

    public double? Precision { get; init; }
    public bool Sweep { get; init; }
    public int Concurrency { get; init; } = 2;
    public int? Limit { get; init; }
    public bool Judge { get; init; }
    public string? JudgeModel { get; init; }
    public bool NoCache { get; init; }
    public int Tolerance { get; init; }
    public double PriceInput { get; init; }
    public double PriceOutput { get; init; }
}

/// <summary>
/// <c>criticbot eval --dataset FILE ...</c>, <c>criticbot eval import ...</c> and <c>criticbot eval compare A B</c>.
/// Model settings are those of <c>criticbot review</c> (OPENAI_API_KEY, OPENAI_BASE_URL, CRITICBOT_MODEL, CRITICBOT_SAMPLES).
/// </summary>
public static class EvalCommand
{
    public const string GitHubTokenVariable = "GITHUB_TOKEN";
    public const string GitHubApiUrlVariable = "GITHUB_API_URL";

    public static Command Create(IReadOnlyDictionary<string, string?>? environment = null)
    {
        var dataset = new Option<string>("--dataset") { Description = "The JSONL dataset (see docs/eval.md)." };
        var output = new Option<string>("--out") { Description = "Where results.json, report.html and summary.md go.", DefaultValueFactory = _ => "eval-out" };
        var cache = new Option<string?>("--cache-dir") { Description = "The answer cache (default OUT/cache)." };
        var samples = new Option<int?>("--samples") { Description = "Critiques sampled per chunk (default CRITICBOT_SAMPLES or 3)." };
        var adaptive = new Option<bool?>("--adaptive-sampling") { Description = "true: stop sampling a chunk once more samples could not change its comments; false: draw every sample (default CRITICBOT_ADAPTIVE_SAMPLING or false)." };
        var precision = new Option<double?>("--precision") { Description = "0..1, as for review (default 0.5)." };
        var sweep = new Option<bool>("--sweep") { Description = "Also re-select at every precision from 0 to 1 (step 0.05) from the same samples." };
        var concurrency = new Option<int>("--concurrency") { Description = "Cases reviewed at once.", DefaultValueFactory = _ => 2 };
        var limit = new Option<int?>("--limit") { Description = "Only the first K cases." };
        var judge = new Option<bool>("--judge") { Description = "Ask a model whether each kept comment describes each known bug." };
        var judgeModel = new Option<string?>("--judge-model") { Description = "The judge's model (default the critic's)." };
        var noCache = new Option<bool>("--no-cache") { Description = "Call the model even for requests in the cache (answers are still stored)." };
        var tolerance = new Option<int>("--tolerance") { Description = "Lines either side of a bug a comment may cover and still catch it.", DefaultValueFactory = _ => 0 };
        var priceInput = new Option<double>("--price-input") { Description = "Dollars per million prompt tokens (for the cost).", DefaultValueFactory = _ => 0 };
        var priceOutput = new Option<double>("--price-output") { Description = "Dollars per million completion tokens.", DefaultValueFactory = _ => 0 };

        var command = new Command("eval", "Measure the critic on a dataset of diffs with known bugs: catch rate, false alarms, nits, cost.");
        foreach (var option in (Option[])[dataset, output, cache, samples, adaptive, precision, sweep, concurrency, limit, judge, judgeModel, noCache, tolerance, priceInput, priceOutput])
        {
            command.Options.Add(option);
        }

        command.Subcommands.Add(CreateImport(environment));
        command.Subcommands.Add(CreateCompare());
        command.SetAction(async (parse, cancellationToken) =>
        {
            var error = parse.InvocationConfiguration.Error;
            if (parse.GetValue(dataset) is not { Length: > 0 } datasetPath)
            {
                await error.WriteLineAsync("criticbot: eval needs --dataset FILE (or a subcommand: import, compare)");
                return ExitCodes.Usage;
            }

            if (parse.GetValue(sweep) && parse.GetValue(precision) is not null)
            {
                await error.WriteLineAsync("criticbot: --precision and --sweep cannot be used together (a sweep visits every precision)");
                return ExitCodes.Usage;
            }

            var arguments = new EvalArguments
            {
                DatasetPath = datasetPath,
                OutDirectory = parse.GetValue(output)!,
                CacheDirectory = parse.GetValue(cache),
                Samples = parse.GetValue(samples),
                AdaptiveSampling = parse.GetValue(adaptive),
                Precision = parse.GetValue(precision),
                Sweep = parse.GetValue(sweep),
                Concurrency = parse.GetValue(concurrency),
                Limit = parse.GetValue(limit),
                Judge = parse.GetValue(judge),
                JudgeModel = parse.GetValue(judgeModel),
                NoCache = parse.GetValue(noCache),
                Tolerance = parse.GetValue(tolerance),
                PriceInput = parse.GetValue(priceInput),
                PriceOutput = parse.GetValue(priceOutput),
            };

            // The web host's signal handling is off for the CLI; Ctrl-C here stops the run and keeps a partial report.
            using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                e.Cancel = !interrupt.IsCancellationRequested; // a second Ctrl-C ends the process at once
                interrupt.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            try
            {
                return await RunAsync(arguments, parse.InvocationConfiguration.Output, error, environment ?? CommandInput.ProcessEnvironment(), interrupt.Token);
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
            }
        });
        return command;
    }

    /// <summary>Runs an evaluation; failures are one line on stderr and an exit code.</summary>
    public static async Task<int> RunAsync(EvalArguments arguments, TextWriter stdout, TextWriter stderr, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        ArgumentNullException.ThrowIfNull(environment);
        if (arguments.Concurrency < 1 || arguments.Limit is < 1 || arguments.Tolerance < 0 || arguments.PriceInput < 0 || arguments.PriceOutput < 0)
        {
            return await FailAsync(stderr, ExitCodes.Usage, "--concurrency and --limit must be at least 1; --tolerance and the prices must not be negative");
        }

        var settings = LoadSettings(environment);
        var samples = arguments.Samples;
        if (samples is null && settings[ReviewCommand.SamplesVariable] is { Length: > 0 } configured)
        {
            if (!int.TryParse(configured.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed))
            {
                return await FailAsync(stderr, ExitCodes.Usage, $"{ReviewCommand.SamplesVariable} must be a whole number, not '{configured}'");
            }

            samples = parsed;
        }

        var adaptive = arguments.AdaptiveSampling;
        if (adaptive is null)
        {
            if (!Reviews.ReviewPipelineSettings.TryReadAdaptiveSampling(settings[Reviews.ReviewPipelineSettings.AdaptiveSamplingSetting], out var configuredAdaptive, out var adaptiveError))
            {
                return await FailAsync(stderr, ExitCodes.Usage, adaptiveError!);
            }

            adaptive = configuredAdaptive;
        }

        var defaults = new CriticOptions();
        var critic = defaults with
        {
            Samples = samples ?? defaults.Samples,
            AdaptiveSampling = adaptive ?? defaults.AdaptiveSampling,
            Precision = arguments.Precision ?? defaults.Precision,
        };
        if (critic.Validate() is { } criticError)
        {
            return await FailAsync(stderr, ExitCodes.Usage, criticError);
        }

        Dataset dataset;
        try
        {
            dataset = await DatasetReader.ReadFileAsync(arguments.DatasetPath, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return await FailAsync(stderr, ExitCodes.Usage, $"cannot read the dataset '{arguments.DatasetPath}': {(ex is FileNotFoundException or DirectoryNotFoundException ? "no such file" : ex.Message)}");
        }

        foreach (var problem in dataset.Problems)
        {
            await stderr.WriteLineAsync($"criticbot: warning: {arguments.DatasetPath}: {OneLine(problem.ToString())} (skipped)");
        }

        if (dataset.Cases.Count == 0)
        {
            return await FailAsync(stderr, ExitCodes.Usage, $"'{arguments.DatasetPath}' holds no usable case");
        }

        var modelOptions = ModelOptions.FromEnvironment(name => settings[name]);
        if (modelOptions.Validate() is { } modelError)
        {
            return await FailAsync(stderr, ExitCodes.Usage, modelError);
        }

        var model = new OpenAiCriticModel(modelOptions);
        var judgeModel = arguments.Judge && arguments.JudgeModel is { } judgeName && judgeName != modelOptions.Model
            ? new OpenAiCriticModel(modelOptions with { Model = judgeName })
            : null;
        var evalSettings = new EvalSettings
        {
            DatasetPath = arguments.DatasetPath,
            Model = modelOptions.Model,
            Critic = critic,
            Sweep = arguments.Sweep,
            Concurrency = arguments.Concurrency,
            Limit = arguments.Limit,
            Judge = arguments.Judge,
            JudgeModel = arguments.Judge ? arguments.JudgeModel ?? modelOptions.Model : null,
            NoCache = arguments.NoCache,
            Tolerance = arguments.Tolerance,
            PriceInput = arguments.PriceInput,
            PriceOutput = arguments.PriceOutput,
            CacheDirectory = arguments.CacheDirectory ?? Path.Combine(arguments.OutDirectory, "cache"),
        };

        var runner = new EvalRunner(model, arguments.Judge ? (ICriticModel?)judgeModel ?? model : null, stderr);
        var run = await runner.RunAsync(evalSettings, dataset, cancellationToken);
        var results = EvalResults.Build(run);

        // Written even when interrupted: the finished cases make a usable report, and a re-run resumes from the cache.
        await EvalReports.WriteAsync(arguments.OutDirectory, results, CancellationToken.None);
        await stdout.WriteAsync(EvalReports.Markdown(results));
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"\nWrote {Path.Combine(arguments.OutDirectory, "results.json")}, report.html and summary.md ({run.NewCalls} new model calls, {run.CachedCalls} from the cache)."));
        if (run.Cases.Any(c => c.Error is not null))
        {
            foreach (var failed in run.Cases.Where(c => c.Error is not null))
            {
                await stderr.WriteLineAsync($"criticbot: warning: case '{OneLine(failed.Case.Id)}' failed: {OneLine(failed.Error!)}");
            }
        }

        return run.StopReason switch
        {
            null => ExitCodes.Success,
            "interrupted" => await FailAsync(stderr, ExitCodes.Failure, $"interrupted after {run.Cases.Count} cases: the partial report is written; run the same command again to resume from the cache"),
            var reason => await FailAsync(stderr, ExitCodes.ModelUnavailable, $"{reason} (a partial report of {run.Cases.Count} cases is written)"),
        };
    }

    private static Command CreateImport(IReadOnlyDictionary<string, string?>? environment)
    {
        var from = new Option<string>("--from") { Description = "The dataset's source.", Required = true };
        from.AcceptOnlyFromAmong("humanevalpack", "debugbench", "defects4j", "martian");
        var input = new Option<string>("--input") { Description = "The source file or folder.", Required = true };
        var output = new Option<string>("--out") { Description = "The JSONL file to write.", Required = true };
        var clean = new Option<int>("--clean") { Description = "Add up to N clean control cases (the correct change) from the same source.", DefaultValueFactory = _ => 0 };
        var diffs = new Option<string?>("--diffs") { Description = "martian: a folder of the pull requests' diffs named REPO-NUMBER.diff." };
        var apiUrl = new Option<string?>("--github-api-url") { Description = $"martian: the GitHub API to fetch diffs from with {GitHubTokenVariable} (default {GitHubApiUrlVariable} or https://api.github.com)." };
        var command = new Command("import", "Convert a public bug dataset into the JSONL case format.");
        foreach (var option in (Option[])[from, input, output, clean, diffs, apiUrl])
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var env = environment ?? CommandInput.ProcessEnvironment();
            var source = parse.GetValue(from) switch
            {
                "humanevalpack" => DatasetSource.HumanEvalPack,
                "debugbench" => DatasetSource.DebugBench,
                "defects4j" => DatasetSource.Defects4J,
                _ => DatasetSource.Martian,
            };
            var api = parse.GetValue(apiUrl) ?? env.GetValueOrDefault(GitHubApiUrlVariable);
            Uri? apiUri = null;
            if (api is { Length: > 0 } && !Uri.TryCreate(api.EndsWith('/') ? api : api + "/", UriKind.Absolute, out apiUri))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"criticbot: --github-api-url '{api}' is not an absolute URL");
                return ExitCodes.Usage;
            }

            var settings = new ImportSettings
            {
                Source = source,
                InputPath = parse.GetValue(input)!,
                Clean = Math.Max(0, parse.GetValue(clean)),
                DiffsDirectory = parse.GetValue(diffs),
                GitHubToken = env.GetValueOrDefault(GitHubTokenVariable),
                GitHubApiUrl = apiUri ?? new Uri("https://api.github.com/"),
            };
            return await ImportAsync(settings, parse.GetValue(output)!, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken);
        });
        return command;
    }

    public static async Task<int> ImportAsync(ImportSettings settings, string outPath, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (!File.Exists(settings.InputPath) && !Directory.Exists(settings.InputPath))
        {
            return await FailAsync(stderr, ExitCodes.Usage, $"cannot read '{settings.InputPath}': no such file or folder");
        }

        ImportResult imported;
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) })
        {
            try
            {
                imported = await DatasetImporter.ImportAsync(settings, http, cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return await FailAsync(stderr, ExitCodes.Usage, $"cannot read '{settings.InputPath}': {ex.Message}");
            }
        }

        foreach (var problem in imported.Problems)
        {
            await stderr.WriteLineAsync($"criticbot: warning: {OneLine(problem)} (skipped)");
        }

        // Every case goes through the reader the run uses, so what is written is what eval accepts.
        var lines = imported.Cases.Select(c => c.ToJsonLine()).ToList();
        var check = DatasetReader.Read(string.Join('\n', lines));
        foreach (var problem in check.Problems)
        {
            await stderr.WriteLineAsync($"criticbot: warning: case {problem.LineNumber}: {OneLine(problem.Message)} (skipped)");
        }

        if (check.Cases.Count == 0)
        {
            return await FailAsync(stderr, ExitCodes.Usage, $"nothing usable was found in '{settings.InputPath}'");
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(outPath));
        Directory.CreateDirectory(directory!);
        await File.WriteAllLinesAsync(outPath, check.Cases.Select(c => c.ToJsonLine()), cancellationToken);
        var skipped = imported.Problems.Count + check.Problems.Count;
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Wrote {check.Cases.Count} cases ({check.Cases.Count(c => c.IsClean)} clean) to {outPath}; {skipped} records skipped."));
        return ExitCodes.Success;
    }

    private static Command CreateCompare()
    {
        var first = new Argument<string>("A") { Description = "The first run's results.json." };
        var second = new Argument<string>("B") { Description = "The second run's results.json." };
        var command = new Command("compare", "Two runs side by side, with which differences are significant.");
        command.Arguments.Add(first);
        command.Arguments.Add(second);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var (a, b) = (parse.GetValue(first)!, parse.GetValue(second)!);
            try
            {
                var text = EvalCompare.Compare(await EvalCompare.ReadAsync(a, cancellationToken), await EvalCompare.ReadAsync(b, cancellationToken), a, b);
                await parse.InvocationConfiguration.Output.WriteAsync(text);
                return ExitCodes.Success;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException or InvalidOperationException)
            {
                return await FailAsync(parse.InvocationConfiguration.Error, ExitCodes.Usage, $"cannot compare: {(ex is FileNotFoundException f ? $"no such file '{f.FileName}'" : ex.Message)}");
            }
        });
        return command;
    }

    private static IConfiguration LoadSettings(IReadOnlyDictionary<string, string?> environment) =>
        new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false)
            .AddInMemoryCollection(environment.Where(e => !string.IsNullOrEmpty(e.Value)))
            .Build();

    private static async Task<int> FailAsync(TextWriter stderr, int exitCode, string message)
    {
        await stderr.WriteLineAsync($"criticbot: {OneLine(message)}");
        return exitCode;
    }

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();
}
