using CriticBot.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CriticBot.Feedback;

public static class FeedbackServiceCollectionExtensions
{
    /// <summary>
    /// Feedback (docs/feedback.md): the log on the store, the delivery side (replies, commands, threads), addressed
    /// comments, and the reactions poller. CRITICBOT_FEEDBACK_POLL_SECONDS and CRITICBOT_FEEDBACK_DAYS_AFTER_CLOSE
    /// are validated at start-up.
    /// </summary>
    public static IServiceCollection AddFeedback(this IServiceCollection services)
    {
        string? error = null;
        services.AddOptions<FeedbackOptions>()
            .BindConfiguration(FeedbackOptions.Section)
            .Configure<IConfiguration>((options, configuration) => error = options.ApplyEnvironment(configuration))
            .Validate(o => o.PollSeconds >= 1, $"{FeedbackOptions.PollSecondsSetting} must be at least 1")
            .Validate(o => o.DaysAfterClose >= 0, $"{FeedbackOptions.DaysAfterCloseSetting} must not be negative")
            .Validate(o => o.RateLimitShare is > 0 and <= 1, "Feedback:RateLimitShare must be above 0 and at most 1")
            .Validate(o => o.PollBatch >= 1, "Feedback:PollBatch must be at least 1")
            .Validate(o => o.PermissionCacheTime >= TimeSpan.Zero, "Feedback:PermissionCacheTime must not be negative")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<FeedbackOptions>>(new SettingError(() => error));
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IFeedbackLog>(provider => provider.GetRequiredService<CriticBotStore>());
        services.AddSingleton<RaterPermissions>();
        services.AddSingleton<FeedbackRouter>();
        services.AddSingleton<AddressedComments>();
        services.AddSingleton<ReactionPoller>();
        services.AddHostedService(provider => provider.GetRequiredService<ReactionPoller>());
        return services;
    }

    /// <summary>Names the bad CRITICBOT_FEEDBACK_ setting in the start-up error.</summary>
    private sealed class SettingError(Func<string?> error) : IValidateOptions<FeedbackOptions>
    {
        public ValidateOptionsResult Validate(string? name, FeedbackOptions options) =>
            error() is { } message ? ValidateOptionsResult.Fail(message) : ValidateOptionsResult.Success;
    }
}
