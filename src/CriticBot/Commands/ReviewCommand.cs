using System.CommandLine;
using System.Globalization;
using CriticBot.Engine;
using CriticBot.Engine.Chunking;
using CriticBot.Engine.Diff;
using CriticBot.Engine.Model;
using Microsoft.Extensions.Configuration;

namespace CriticBot.Commands;

/// <summary>
/// <c>criticbot review --diff FILE|- [--format text|json] [--samples N] [--precision P] [--max-comments K] [--dry-run]</c>.
/// Model settings come from the environment (OPENAI_API_KEY, OPENAI_BASE_URL, CRITICBOT_MODEL, CRITICBOT_SAMPLES),
/// overriding the same keys in appsettings.json next to the executable.
/// </summary>
public static class ReviewCommand
{
    public const string SamplesVariable = Reviews.ReviewPipelineSettings.SamplesSetting;

    /// <param name="stdin">Where "--diff -" reads from; the console by default.</param>
    /// <param name="environment">The environment; the process's by default (tests pass their own).</param>
    public static Command Create(TextReader? stdin = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var diff = new Option<string>("--diff") { Description = "The unified diff to review: a file, or - for standard input.", Required = true };
        var format = new Option<string>("--format") { Description = "Output format.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var samples = new Option<int?>("--samples") { Description = $"Critiques sampled per chunk (default {SamplesVariable} or 3)." };
        var precision = new Option<double?>("--precision") { Description = "0..1: lower catches more bugs and posts more false alarms and nitpicks (default 0.5)." };
        var maxComments = new Option<int?>("--max-comments") { Description = "The most comments to report (default 10)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Parse, filter and chunk, print the plan and token estimate; call no model." };

        var command = new Command("review", "Critique a unified diff, e.g. `git diff main | criticbot review --diff -`.");
        foreach (var option in (Option[])[diff, format, samples, precision, maxComments, dryRun])
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var arguments = new ReviewArguments
            {
                DiffPath = parse.GetValue(diff)!,
                Format = parse.GetValue(format) == "json" ? ReviewFormat.Json : ReviewFormat.Text,
                Samples = parse.GetValue(samples),
                Precision = parse.GetValue(precision),
                MaxComments = parse.GetValue(maxComments),
                DryRun = parse.GetValue(dryRun),
            };
            return await RunAsync(
                arguments,
                stdin ?? Console.In,
                parse.InvocationConfiguration.Output,
                parse.InvocationConfiguration.Error,
                environment ?? CommandInput.ProcessEnvironment(),
                cancellationToken);
        });
        return command;
    }

    /// <summary>Runs a review; every failure is one line on <paramref name="stderr"/> and an exit code, never a stack trace.</summary>
    public static async Task<int> RunAsync(
        ReviewArguments arguments,
        TextReader stdin,
        TextWriter stdout,
        TextWriter stderr,
        IReadOnlyDictionary<string, string?> environment,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(stdin);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        ArgumentNullException.ThrowIfNull(environment);
        try
        {
            var settings = LoadSettings(environment);
            var (options, optionsError) = BuildOptions(arguments, settings);
            if (optionsError is not null)
            {
                return await FailAsync(stderr, ExitCodes.Usage, optionsError);
            }

            // The o200k vocabulary loads while the diff is read and parsed.
            TiktokenTokenCounter.StartLoading();
            var (diff, readError) = await ReadDiffAsync(arguments.DiffPath, stdin, cancellationToken);
            if (readError is not null)
            {
                return await FailAsync(stderr, ExitCodes.Usage, readError);
            }

            var tokens = new TiktokenTokenCounter();
            if (arguments.DryRun)
            {
                var plan = CriticEngine.PlanReview(diff!, options!, tokens);
                await stdout.WriteAsync(arguments.Format == ReviewFormat.Json ? ReviewWriter.PlanJson(plan) : ReviewWriter.PlanText(plan));
                return ExitCodes.Success;
            }

            var modelOptions = ModelOptions.FromEnvironment(name => settings[name]);
            if (modelOptions.Validate() is { } modelError)
            {
                return await FailAsync(stderr, ExitCodes.Usage, modelError);
            }

            var engine = new CriticEngine(new OpenAiCriticModel(modelOptions), tokens);
            var result = await engine.ReviewAsync(diff!, options!, cancellationToken);
            foreach (var failure in result.SampleFailures)
            {
                await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"criticbot: warning: sample {failure.SampleIndex + 1} of chunk {failure.ChunkIndex + 1} gave nothing usable: {OneLine(failure.Error)}"));
            }

            await stdout.WriteAsync(arguments.Format == ReviewFormat.Json ? ReviewWriter.ResultJson(result) : ReviewWriter.ResultText(result));
            return ExitCodes.Success;
        }
        catch (ModelUnavailableException ex)
        {
            return await FailAsync(stderr, ExitCodes.ModelUnavailable, $"the model is unavailable: {ex.Message}");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return await FailAsync(stderr, ExitCodes.Failure, "cancelled");
        }
        catch (Exception ex)
        {
            return await FailAsync(stderr, ExitCodes.Failure, $"review failed: {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>appsettings.json next to the executable, overridden by the environment (same key names).</summary>
    private static IConfiguration LoadSettings(IReadOnlyDictionary<string, string?> environment) =>
        new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false)
            .AddInMemoryCollection(environment.Where(e => !string.IsNullOrEmpty(e.Value)))
            .Build();

    private static (CriticOptions? Options, string? Error) BuildOptions(ReviewArguments arguments, IConfiguration settings)
    {
        var samples = arguments.Samples;
        if (samples is null)
        {
            if (!Reviews.ReviewPipelineSettings.TryReadSamples(settings[SamplesVariable], out var configured, out var samplesError))
            {
                return (null, samplesError);
            }

            samples = configured;
        }

        if (!ModelPrices.TryParse(settings[ModelPrices.Variable], out var prices, out var pricesError))
        {
            return (null, pricesError);
        }

        if (!Reviews.ReviewPipelineSettings.TryReadAdaptiveSampling(settings[Reviews.ReviewPipelineSettings.AdaptiveSamplingSetting], out var adaptive, out var adaptiveError))
        {
            return (null, adaptiveError);
        }

        var defaults = new CriticOptions();
        var options = defaults with
        {
            Samples = samples ?? defaults.Samples,
            AdaptiveSampling = adaptive ?? defaults.AdaptiveSampling,
            Precision = arguments.Precision ?? defaults.Precision,
            MaxComments = arguments.MaxComments ?? defaults.MaxComments,
            Prices = prices,
            PricedModel = string.IsNullOrWhiteSpace(settings[ModelOptions.ModelVariable]) ? ModelOptions.DefaultModel : settings[ModelOptions.ModelVariable]!.Trim(),
        };
        return options.Validate() is { } error ? (null, error) : (options, null);
    }

    private static async Task<(ParsedDiff? Diff, string? Error)> ReadDiffAsync(string path, TextReader stdin, CancellationToken cancellationToken)
    {
        try
        {
            ParsedDiff diff;
            bool hasContent;
            if (path == "-")
            {
                var text = await stdin.ReadToEndAsync(cancellationToken);
                diff = DiffParser.Parse(text);
                hasContent = !string.IsNullOrWhiteSpace(text.Replace("\uFEFF", "", StringComparison.Ordinal));
            }
            else if (Directory.Exists(path))
            {
                return (null, $"cannot read the diff '{path}': it is a directory");
            }
            else
            {
                // Bytes, not text: the parser copes with diffs of files that are not UTF-8.
                var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
                diff = DiffParser.Parse(bytes);
                hasContent = bytes.AsSpan().TrimStart("\uFEFF"u8).IndexOfAnyExcept(" \t\r\n"u8) >= 0;
            }

            // Text with no file in it is a wrong input (a source file, a log), not a change with nothing to say.
            return hasContent && diff.Files.Count == 0
                ? (null, $"'{(path == "-" ? "standard input" : path)}' is not a unified diff: no file header ('diff --git' or '---'/'+++') was found")
                : (diff, null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            var why = ex is FileNotFoundException or DirectoryNotFoundException ? "no such file" : OneLine(ex.Message);
            return (null, $"cannot read the diff '{path}': {why}");
        }
    }

    private static async Task<int> FailAsync(TextWriter stderr, int exitCode, string message)
    {
        await stderr.WriteLineAsync($"criticbot: {OneLine(message)}");
        return exitCode;
    }

    private static string OneLine(string text) => Engine.Safety.TerminalText.Clean(text.ReplaceLineEndings(" ")).Trim();
}
