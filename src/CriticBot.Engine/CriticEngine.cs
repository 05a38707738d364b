using CriticBot.Engine.Chunking;
using CriticBot.Engine.Critic;
using CriticBot.Engine.Diff;
using CriticBot.Engine.Model;
using CriticBot.Engine.Prompting;
using CriticBot.Engine.Selection;

namespace CriticBot.Engine;

/// <summary>The knobs of one review.</summary>
public sealed record CriticOptions
{
    public const int MaxSamples = 20;

    /// <summary>Independent critiques per chunk; agreement between them is the main evidence a problem is real.</summary>
    public int Samples { get; init; } = 3;

    /// <summary>
    /// Keep comments whose score is at least this (0..1). Lower catches more bugs and posts more
    /// hallucinations and nitpicks; higher posts fewer, surer comments. See <see cref="AgreementSeverityScorer"/>:
    /// at 0.5 with 3 samples a bug needs one sample, a risk two and a nit all three.
    /// </summary>
    public double Precision { get; init; } = 0.5;

    public int MaxComments { get; init; } = 10;

    /// <summary>
    /// Draw a majority of each chunk's samples first and the rest only if further samples could still move a place
    /// the drawn ones flagged across the precision (<see cref="HighlightSelector.IsSettled"/>), with
    /// <see cref="Samples"/> as the maximum. Off by default: it saves about a third of the tokens, and bets that a
    /// place no sample of the first wave flagged is not there (docs/performance.md measures what that costs).
    /// </summary>
    public bool AdaptiveSampling { get; init; }

    /// <summary>The most model calls in flight at once, over all chunks and samples.</summary>
    public int MaxConcurrency { get; init; } = 4;

    /// <summary>Above 0 so that samples differ.</summary>
    public float Temperature { get; init; } = 0.8f;

    public int MaxOutputTokens { get; init; } = 2048;

    /// <summary>The maintainers' review instructions (repository configuration, never the pull request).</summary>
    public string? Instructions { get; init; }

    /// <summary>The language comment bodies are written in; null leaves it to the model (English in practice).</summary>
    public string? Language { get; init; }

    /// <summary>Links to this host stay clickable in comments; all others become plain text.</summary>
    public string RepositoryHost { get; init; } = "github.com";

    /// <summary>OWNER/NAME: links on <see cref="RepositoryHost"/> stay clickable only under it; null keeps relative links only.</summary>
    public string? Repository { get; init; }

    public ChunkingOptions Chunking { get; init; } = new();

    /// <summary>
    /// The most chunks one review sends to the model; chunks past it (in diff order) are not reviewed and their
    /// files are named in <see cref="CritiqueResult.SkippedFiles"/>. With the defaults a pull request of any size
    /// costs at most <see cref="MaxModelCalls"/> calls.
    /// </summary>
    public int MaxChunks { get; init; } = 50;

    /// <summary>The most prompt tokens one review sends, over every chunk and sample (an estimate made before sending).</summary>
    public long MaxPromptTokens { get; init; } = 1_000_000;

    /// <summary>
    /// The most model calls one review makes, retries of unparseable answers included: chunks are taken while
    /// chunks × samples fit, and a retry happens only while calls are left. 0 reviews nothing.
    /// </summary>
    public int MaxModelCalls { get; init; } = 200;

    /// <summary>Why <see cref="MaxModelCalls"/> is what it is, in words for the summary (e.g. an hourly budget); null: this review's own limit.</summary>
    public string? ModelCallsLimitName { get; init; }

    /// <summary>Who the review is for (the installation): a shared cap on model calls takes turns between tenants.</summary>
    public string? Tenant { get; init; }

    /// <summary>Prices per model for the cost shown (<see cref="ModelPrices.Variable"/>); none: no cost is shown.</summary>
    public ModelPrices Prices { get; init; } = ModelPrices.None;

    /// <summary>The configured model: priced for estimates, and for calls whose answer did not name its model.</summary>
    public string? PricedModel { get; init; }

    /// <summary>Null when usable; otherwise a one-line error naming the bad option.</summary>
    public string? Validate() => this switch
    {
        { Samples: < 1 or > MaxSamples } => $"samples must be from 1 to {MaxSamples}, not {Samples}",
        { Precision: < 0 or > 1 } or { Precision: double.NaN } => $"precision must be from 0 to 1, not {Precision}",
        { MaxComments: < 0 } => $"max comments must not be negative, not {MaxComments}",
        { MaxConcurrency: < 1 } => $"max concurrency must be at least 1, not {MaxConcurrency}",
        { Temperature: < 0 or > 2 } => $"temperature must be from 0 to 2, not {Temperature}",
        { MaxOutputTokens: < 1 } => $"max output tokens must be at least 1, not {MaxOutputTokens}",
        { Chunking.MaxChunkTokens: < 1 } => $"max chunk tokens must be at least 1, not {Chunking.MaxChunkTokens}",
        { MaxChunks: < 1 } => $"max chunks must be at least 1, not {MaxChunks}",
        { MaxPromptTokens: < 1 } => $"max prompt tokens must be at least 1, not {MaxPromptTokens}",
        { MaxModelCalls: < 0 } => $"max model calls must not be negative, not {MaxModelCalls}",
        _ => null,
    };

    internal PromptGuidance Guidance => new() { Instructions = Instructions, Language = Language };
}

/// <summary>What a review would send, without calling the model.</summary>
public sealed record ReviewPlan
{
    public required ChunkPlan Chunks { get; init; }

    /// <summary>The full prompt (system and user, with message overhead) per chunk, in chunk order.</summary>
    public required IReadOnlyList<int> PromptTokensPerChunk { get; init; }

    public required int Samples { get; init; }

    /// <summary>
    /// Whether the token figures are estimates (always, today): each file or hunk is counted exactly (o200k), but a
    /// chunk's figure is the sum of its pieces' counts plus headers and separators (within one token per piece of
    /// counting its text whole) plus the prompt around it counted once with a stand-in fence token (errs high by up to
    /// a few dozen tokens). The packing decisions themselves use the exact per-piece counts.
    /// </summary>
    public bool TokensAreEstimates => true;

    /// <summary>Prompt tokens one review would send: every chunk's prompt times the samples.</summary>
    public long TotalPromptTokens => PromptTokensPerChunk.Sum(t => (long)t) * Samples;

    /// <summary>
    /// <see cref="TotalPromptTokens"/> at the configured model's uncached input price, in US dollars; null when the
    /// model has no price. Completion tokens are unknown before the model answers and are not included.
    /// </summary>
    public decimal? EstimatedCostUsd { get; init; }
}

/// <summary>
/// The critic: plans chunks, samples critiques, grounds every quote in the diff, merges and scores
/// highlights across samples and keeps the best as sanitised, line-anchored comments.
/// Deterministic apart from the model: every list comes out in a stable order.
/// </summary>
public sealed class CriticEngine
{
    // What the chat format adds around two messages (role markers, separators); a close estimate is enough.
    private const int ChatOverheadTokens = 11;

    private readonly ICriticModel _model;
    private readonly ITokenCounter _tokens;
    private readonly IHighlightScorer _scorer;
    private readonly PromptBuilder _prompts;
    private readonly TimeProvider _time;

    /// <param name="time">The clock model calls are timed with (their start and latency); the system clock when null.</param>
    public CriticEngine(ICriticModel model, ITokenCounter tokens, IHighlightScorer? scorer = null, TimeProvider? time = null)
        : this(model, tokens, scorer, new PromptBuilder(), time)
    {
    }

    internal CriticEngine(ICriticModel model, ITokenCounter tokens, IHighlightScorer? scorer, PromptBuilder prompts, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        _model = model;
        _tokens = tokens;
        _scorer = scorer ?? new AgreementSeverityScorer();
        _prompts = prompts;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Filters and chunks the diff as a review would.</summary>
    public ChunkPlan Plan(ParsedDiff diff, CriticOptions options) => new DiffChunker(_tokens).Plan(diff, Checked(options).Chunking);

    /// <summary>Plans a review and estimates its prompt tokens; needs no model (for <c>--dry-run</c>).</summary>
    public static ReviewPlan PlanReview(ParsedDiff diff, CriticOptions options, ITokenCounter tokens)
    {
        ArgumentNullException.ThrowIfNull(diff);
        ArgumentNullException.ThrowIfNull(tokens);
        var chunks = new DiffChunker(tokens).Plan(diff, Checked(options).Chunking);

        // The chunker counted every chunk's text already; the prompt around it is the same for every chunk, so it is
        // counted once (tokenising a 50 MB diff a second time was most of a dry run's time).
        var overhead = PromptOverhead(options, tokens);
        int[] perChunk = [.. chunks.Chunks.Select(c => c.EstimatedTokens + overhead)];
        return new ReviewPlan
        {
            Chunks = chunks,
            PromptTokensPerChunk = perChunk,
            Samples = options.Samples,
            EstimatedCostUsd = EstimatedCost(perChunk.Sum(t => (long)t) * options.Samples, options),
        };
    }

    /// <exception cref="ModelUnavailableException">The model cannot be reached or refuses the key.</exception>
    /// <exception cref="ArgumentException">The options fail <see cref="CriticOptions.Validate"/>.</exception>
    public Task<CritiqueResult> ReviewAsync(ParsedDiff diff, CriticOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(diff);
        return ReviewAsync(Plan(diff, options), options, cancellationToken);
    }

    /// <summary>Reviews a plan made by <see cref="Plan"/> (so a caller that sizes a budget from it chunks once).</summary>
    public async Task<CritiqueResult> ReviewAsync(ChunkPlan plan, CriticOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        Checked(options);
        var budgeted = WithinBudget(plan, options);
        var pipeline = new CritiquePipeline(_model, _scorer, _prompts, _time);
        return await pipeline.RunAsync(
            [.. budgeted.Chunks.Select(c => new ChunkToReview(c.Index, c.Text, c.Files))],
            new PipelineSettings
            {
                Samples = options.Samples,
                Precision = options.Precision,
                MaxComments = options.MaxComments,
                MaxConcurrency = options.MaxConcurrency,
                Temperature = options.Temperature,
                MaxOutputTokens = options.MaxOutputTokens,
                Guidance = options.Guidance,
                RepositoryHost = options.RepositoryHost,
                Repository = options.Repository,
                MaxModelCalls = options.MaxModelCalls,
                Tenant = options.Tenant,
                AdaptiveSampling = options.AdaptiveSampling,
                Prices = options.Prices,
                PricedModel = options.PricedModel,
                EstimatedCostUsd = EstimatedCost(budgeted.EstimatedPromptTokens, options),
            },
            [.. plan.SkippedFiles, .. budgeted.NotReviewed],
            [.. plan.Truncations, .. budgeted.Notes],
            cancellationToken);
    }

    /// <summary>The most model calls a review of this plan can make under the options (the first answers and their retries).</summary>
    public static int ModelCallsNeeded(ChunkPlan plan, CriticOptions options)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(options);
        var chunks = Math.Min(plan.Chunks.Count, options.MaxChunks);
        return (int)Math.Min(options.MaxModelCalls, (long)chunks * options.Samples * CritiqueSampler.AttemptsPerSample);
    }

    /// <summary>Prompt tokens at the configured model's uncached input price; null when it has no price.</summary>
    internal static decimal? EstimatedCost(long promptTokens, CriticOptions options) =>
        options.Prices.For(options.PricedModel) is { } price ? price.Cost(promptTokens, 0, 0) : null;

    private sealed record BudgetedPlan(
        IReadOnlyList<DiffChunk> Chunks, IReadOnlyList<SkippedFile> NotReviewed, IReadOnlyList<string> Notes, long EstimatedPromptTokens);

    /// <summary>
    /// The chunks, in diff order, that fit the review's budgets (chunks, prompt tokens, model calls); every file
    /// past the first that does not fit is named, so nothing goes unreviewed silently.
    /// </summary>
    private BudgetedPlan WithinBudget(ChunkPlan plan, CriticOptions options)
    {
        // The prompt around a chunk costs the same for every chunk: count it once, add each chunk's own tokens.
        var promptOverhead = PromptOverhead(options, _tokens);
        var kept = new List<DiffChunk>();
        long promptTokens = 0;
        string? limit = null;
        foreach (var chunk in plan.Chunks)
        {
            var cost = (long)(chunk.EstimatedTokens + promptOverhead) * options.Samples;
            limit = kept.Count >= options.MaxChunks ? $"this review's budget of {options.MaxChunks} chunks"
                : (long)(kept.Count + 1) * options.Samples > options.MaxModelCalls
                    ? options.ModelCallsLimitName ?? $"this review's budget of {options.MaxModelCalls} model calls"
                : promptTokens + cost > options.MaxPromptTokens ? $"this review's budget of {options.MaxPromptTokens} prompt tokens"
                : null;
            if (limit is not null)
            {
                break;
            }

            kept.Add(chunk);
            promptTokens += cost;
        }

        if (limit is null)
        {
            return new BudgetedPlan(plan.Chunks, [], [], promptTokens);
        }

        var reviewedPaths = kept.SelectMany(c => c.Files).Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        var notReviewed = new List<SkippedFile>();
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in plan.Chunks.Skip(kept.Count).SelectMany(c => c.Files))
        {
            if (named.Add(file.Path))
            {
                notReviewed.Add(new SkippedFile(file.Path, reviewedPaths.Contains(file.Path)
                    ? $"partly reviewed: the rest is over {limit}"
                    : $"not reviewed: over {limit}"));
            }
        }

        var notes = new[]
        {
            string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"Reviewed {kept.Count} of {plan.Chunks.Count} chunks: the rest ({notReviewed.Count} files) is over {limit}."),
        };
        return new BudgetedPlan(kept, notReviewed, notes, promptTokens);
    }

    /// <summary>
    /// The prompt's tokens besides the chunk's own: system prompt, preamble, fences and chat framing. The fence token
    /// is a fixed random-looking one of the real length: random hex tokenises into more tokens than a run of one digit
    /// would, and this one tokenises at the high end, so the estimate errs on the safe side (bound tested).
    /// </summary>
    private static int PromptOverhead(CriticOptions options, ITokenCounter tokens) =>
        CountPrompt(new PromptBuilder(() => "9f3c1a7e52b8d064e1ab3c7f").Build("\n", options.Guidance), tokens) - tokens.Count("\n");

    private static int CountPrompt(ChatPrompt prompt, ITokenCounter tokens) =>
        tokens.Count(prompt.System) + tokens.Count(prompt.User) + ChatOverheadTokens;

    private static CriticOptions Checked(CriticOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Validate() is { } error ? throw new ArgumentException(error, nameof(options)) : options;
    }
}
