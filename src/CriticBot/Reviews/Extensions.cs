using System.Globalization;
using CriticBot.Engine;
using CriticBot.Feedback;
using CriticBot.Engine.Chunking;
using CriticBot.Engine.Model;
using CriticBot.GitHub;
using CriticBot.Inbox;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CriticBot.Reviews;

/// <summary>
/// The GitHub App and model settings, read from configuration once every source is in. <see cref="Error"/> is
/// the one line that stops start-up, naming the setting.
/// </summary>
public sealed class ReviewPipelineSettings
{
    public GitHubAppOptions? GitHub { get; set; }
    public ModelOptions? Model { get; set; }
    public int? Samples { get; set; }
    public bool? AdaptiveSampling { get; set; }
    public ModelPrices Prices { get; set; } = ModelPrices.None;
    public string? Error { get; set; }

    public const string SamplesSetting = "CRITICBOT_SAMPLES";
    public const string AdaptiveSamplingSetting = "CRITICBOT_ADAPTIVE_SAMPLING";

    public static ReviewPipelineSettings Read(IConfiguration configuration)
    {
        // With no App configured at all, serve starts unregistered and offers the first-run registration (src/CriticBot/Setup).
        if (!GitHubAppOptions.TryLoad(configuration, out var gitHub, out var gitHubError) && !GitHubAppOptions.TryUnregistered(configuration, out gitHub))
        {
            return new ReviewPipelineSettings { Error = gitHubError };
        }

        var model = ModelOptions.FromEnvironment(key => configuration[key]);
        if (model.Validate() is { } modelError)
        {
            return new ReviewPipelineSettings { Error = modelError };
        }

        if (!TryReadSamples(configuration[SamplesSetting], out var samples, out var samplesError))
        {
            return new ReviewPipelineSettings { Error = samplesError };
        }

        if (!ModelPrices.TryParse(configuration[ModelPrices.Variable], out var prices, out var pricesError))
        {
            return new ReviewPipelineSettings { Error = pricesError };
        }

        if (!TryReadAdaptiveSampling(configuration[AdaptiveSamplingSetting], out var adaptive, out var adaptiveError))
        {
            return new ReviewPipelineSettings { Error = adaptiveError };
        }

        return new ReviewPipelineSettings { GitHub = gitHub, Model = model, Samples = samples, AdaptiveSampling = adaptive, Prices = prices };
    }

    /// <summary>The one reader of <c>CRITICBOT_ADAPTIVE_SAMPLING</c>: empty means unset; otherwise <c>true</c> or <c>false</c>.</summary>
    public static bool TryReadAdaptiveSampling(string? text, out bool? adaptive, out string? error)
    {
        (adaptive, error) = (null, null);
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (!bool.TryParse(text.Trim(), out var value))
        {
            error = $"{AdaptiveSamplingSetting} must be true or false, not '{text}'";
            return false;
        }

        adaptive = value;
        return true;
    }

    /// <summary>
    /// The one reader of <c>CRITICBOT_SAMPLES</c> (the service and <c>criticbot review</c>): empty means unset;
    /// otherwise a whole number from 1 to <see cref="CriticOptions.MaxSamples"/>.
    /// </summary>
    public static bool TryReadSamples(string? text, out int? samples, out string? error)
    {
        samples = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (!int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n is < 1 or > CriticOptions.MaxSamples)
        {
            error = $"{SamplesSetting} must be a whole number from 1 to {CriticOptions.MaxSamples}, not '{text}'";
            return false;
        }

        samples = n;
        return true;
    }

    internal sealed class Validator : IValidateOptions<ReviewPipelineSettings>
    {
        public ValidateOptionsResult Validate(string? name, ReviewPipelineSettings options) =>
            options.Error is { } error ? ValidateOptionsResult.Fail(error) : ValidateOptionsResult.Success;
    }
}

public static class ReviewsServiceCollectionExtensions
{
    /// <summary>
    /// The review pipeline: GitHub App client, critic model and engine, and the delivery handler that ties them
    /// together. Settings are validated at start-up, so a bad one stops the service with one line naming it.
    /// </summary>
    public static IServiceCollection AddReviewPipeline(this IServiceCollection services)
    {
        services.AddOptions<ReviewPipelineSettings>()
            .Configure<IConfiguration>((settings, configuration) =>
            {
                var read = ReviewPipelineSettings.Read(configuration);
                (settings.GitHub, settings.Model, settings.Samples, settings.Prices, settings.Error) = (read.GitHub, read.Model, read.Samples, read.Prices, read.Error);
                settings.AdaptiveSampling = read.AdaptiveSampling;
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ReviewPipelineSettings>, ReviewPipelineSettings.Validator>();

        services.AddOptions<GitHubResilienceOptions>()
            .BindConfiguration("GitHub")
            .Validate(o => o.MaxAttempts >= 1, "GitHub:MaxAttempts must be at least 1")
            .Validate(o => o.MaxWait >= TimeSpan.Zero && o.BaseBackoff >= TimeSpan.Zero && o.MinimumWriteInterval >= TimeSpan.Zero,
                "GitHub:MaxWait, GitHub:BaseBackoff and GitHub:MinimumWriteInterval must not be negative")
            .Validate(o => o.TokenRenewalMargin >= TimeSpan.Zero && o.TokenRenewalMargin < TimeSpan.FromMinutes(55),
                "GitHub:TokenRenewalMargin must be from 0 to 55 minutes (installation tokens live an hour)")
            .ValidateOnStart();
        services.AddGitHubApp(
            sp => sp.GetRequiredService<IOptions<ReviewPipelineSettings>>().Value.GitHub!,
            sp => sp.GetRequiredService<IOptions<GitHubResilienceOptions>>().Value);

        services.AddOptions<ReviewOptions>()
            .BindConfiguration(ReviewOptions.Section)
            .Configure<IOptions<ReviewPipelineSettings>>((options, pipeline) =>
            {
                options.Samples = pipeline.Value.Samples ?? options.Samples;
                options.AdaptiveSampling = pipeline.Value.AdaptiveSampling ?? options.AdaptiveSampling;
                (options.Prices, options.PricedModel) = (pipeline.Value.Prices, pipeline.Value.Model?.Model);
                if (pipeline.Value.GitHub is { } gitHub)
                {
                    options.RepositoryHost ??= RepositoryHostOf(gitHub.ApiUrl);
                }
            })
            .Validate(o => o.Samples is >= 1 and <= CriticOptions.MaxSamples, $"Review:Samples must be from 1 to {CriticOptions.MaxSamples}")
            .Validate(o => o.Precision is >= 0 and <= 1, "Review:Precision must be from 0 to 1")
            .Validate(o => o.MaxComments >= 0, "Review:MaxComments must not be negative")
            .Validate(o => o.MaxConcurrency >= 1, "Review:MaxConcurrency must be at least 1")
            .Validate(o => o.MaxModelCalls >= 1, "Review:MaxModelCalls must be at least 1")
            .Validate(o => !string.IsNullOrWhiteSpace(o.WorkerId), "Review:WorkerId must not be empty")
            .Validate(o => o.ReviewLease >= TimeSpan.FromSeconds(3), "Review:ReviewLease must be at least 3 seconds (it is renewed every third of it)")
            .Validate(o => o.SupersedeCheckInterval > TimeSpan.Zero, "Review:SupersedeCheckInterval must be positive")
            .Validate(o => o.MaxChunks >= 1, "Review:MaxChunks must be at least 1")
            .Validate(o => o.MaxPromptTokens >= 1, "Review:MaxPromptTokens must be at least 1")
            .Validate(o => o.MaxModelCallsPerReview >= 1, "Review:MaxModelCallsPerReview must be at least 1")
            .Validate(o => o.RepositoryModelCallsPerHour >= 0 && o.AuthorModelCallsPerHour >= 0,
                "Review:RepositoryModelCallsPerHour and Review:AuthorModelCallsPerHour must not be negative")
            .ValidateOnStart();

        services.TryAddSingleton(TimeProvider.System);
        // One cap on model calls for the whole process, however many reviews run at once.
        services.AddSingleton<ICriticModel>(sp => new ConcurrencyLimitedModel(new CriticBot.Observability.InstrumentedCriticModel(
            new OpenAiCriticModel(sp.GetRequiredService<IOptions<ReviewPipelineSettings>>().Value.Model!, sp.GetRequiredService<ILogger<OpenAiCriticModel>>()),
            sp.GetRequiredService<CriticBot.Observability.CriticBotMetrics>(), sp.GetRequiredService<IOptions<ReviewPipelineSettings>>().Value.Model!.Model),
            sp.GetRequiredService<IOptions<ReviewOptions>>().Value.MaxModelCalls));
        services.AddSingleton<ITokenCounter, TiktokenTokenCounter>();
        services.AddSingleton(sp => new CriticEngine(
            sp.GetRequiredService<ICriticModel>(), sp.GetRequiredService<ITokenCounter>(), time: sp.GetRequiredService<TimeProvider>()));
        // The pipeline's steps (see PullRequestReviewer), each a type of its own.
        services.AddSingleton<ReviewDecider>();
        services.AddSingleton<ReviewLedger>();
        services.AddSingleton<ReviewClaims>();
        services.AddSingleton<ReviewCheckRuns>();
        services.AddSingleton<IncrementalDiff>();
        services.AddSingleton<ModelCallBudgets>();
        services.AddSingleton<PullRequestReviewer>();
        // Maintainers' feedback: replies, commands, threads, reactions (polled), addressed comments.
        services.AddFeedback();
        services.RemoveAll<IDeliveryHandler>();
        services.AddSingleton<IDeliveryHandler, DeliveryRouter>();
        return services;
    }

    /// <summary>The web host of the GitHub instance: api.github.com → github.com; https://HOST/api/v3 → HOST.</summary>
    public static string RepositoryHostOf(Uri apiUrl) =>
        apiUrl.Host.Equals("api.github.com", StringComparison.OrdinalIgnoreCase) ? "github.com" : apiUrl.Authority;
}
