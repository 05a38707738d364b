using CriticBot.Inbox;
using CriticBot.Intake;
using CriticBot.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Serilog;
using Serilog.Formatting.Compact;

namespace CriticBot.Hosting;

/// <summary>Service registrations for `criticbot serve`, one extension per concern.</summary>
public static class ServiceCollectionExtensions
{
    /// <summary>
    /// Serilog as the logging provider, built per host (the static Log.Logger is left alone, so tests can run
    /// several hosts in one process). Levels come from the "Serilog" configuration section; scopes such as
    /// DeliveryId and Repository become properties of every event logged inside them.
    /// </summary>
    public static IServiceCollection AddCriticBotLogging(this IServiceCollection services)
    {
        services.AddSerilog(
            (provider, logging) => logging
                .ReadFrom.Configuration(provider.GetRequiredService<IConfiguration>())
                .Enrich.FromLogContext()
                .WriteTo.Console(new RenderedCompactJsonFormatter()),
            preserveStaticLogger: true);
        return services;
    }

    /// <summary>The webhook secret and body limit, validated at start-up (no secret, no service).</summary>
    public static IServiceCollection AddWebhookIntake(this IServiceCollection services)
    {
        services.AddOptions<WebhookOptions>().BindConfiguration("").ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebhookOptions>, WebhookOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<InboxSignal>();
        return services;
    }

    /// <summary>
    /// The store on SQLite or PostgreSQL, as CRITICBOT_DATABASE says (one instance: on SQLite it owns the single
    /// writer), seen by the pipeline through its three aggregates, and the readiness check on it.
    /// </summary>
    public static IServiceCollection AddCriticBotStorage(this IServiceCollection services)
    {
        services.AddOptions<StorageOptions>().BindConfiguration("").ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(provider => CriticBotStore.Open(
            provider.GetRequiredService<IOptions<StorageOptions>>().Value.ResolveLocation(),
            provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IDeliveryInbox>(provider => provider.GetRequiredService<CriticBotStore>());
        services.AddSingleton<IReviewLedger>(provider => provider.GetRequiredService<CriticBotStore>());
        services.AddSingleton<IResearchLog>(provider => provider.GetRequiredService<CriticBotStore>());
        services.AddSingleton<IModelCallBudgetLedger>(provider => provider.GetRequiredService<CriticBotStore>());
        services.AddSingleton<IRepositorySharingLog>(provider => provider.GetRequiredService<CriticBotStore>());
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: [DatabaseHealthCheck.ReadyTag]);
        return services;
    }

    /// <summary>The background worker that processes stored deliveries; the handler is registered separately.</summary>
    public static IServiceCollection AddInbox(this IServiceCollection services)
    {
        services.AddOptions<InboxOptions>()
            .BindConfiguration(InboxOptions.Section)
            .ValidateDataAnnotations()
            .Validate(options => options.Validate() is null, "Inbox settings are inconsistent: check Inbox:RetryBaseDelay, Inbox:RetryMaxDelay, Inbox:MaxRetryAfter, Inbox:Lease and Inbox:PollInterval.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<InboxSignal>();
        services.AddSingleton<InstallationRecorder>();
        services.AddHostedService<InboxWorker>();
        return services;
    }
}
