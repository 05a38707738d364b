using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CriticBot.Storage;

/// <summary>Prunes old private code (see <see cref="IDataRetention.PruneAsync"/>) at start-up and then every <c>Storage:PruneInterval</c>.</summary>
public sealed partial class RetentionPruner(
    IDataRetention retention,
    IOptions<RetentionOptions> options,
    TimeProvider time,
    ILogger<RetentionPruner> logger) : BackgroundService
{
    private readonly RetentionOptions _options = options.Value;

    /// <summary>One pass, with cut-offs from the injected clock.</summary>
    public Task<PruneCounts> PruneOnceAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        return retention.PruneAsync(
            now - TimeSpan.FromDays(_options.RetentionDays),
            _options.ResearchRetentionDays == 0 ? null : now - TimeSpan.FromDays(_options.ResearchRetentionDays),
            ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.PruneInterval, time);
        do
        {
            try
            {
                var counts = await PruneOnceAsync(stoppingToken);
                if (counts.DeliveryBodies + counts.Reviews + counts.Prompts > 0)
                {
                    LogPruned(counts.DeliveryBodies, counts.Reviews, counts.Prompts);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The next pass tries again; a failed prune loses nothing.
                LogPruneFailed(ex.GetType().Name, ex.Message);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pruned {Bodies} delivery bodies, the research records of {Reviews} reviews and {Prompts} prompts")]
    private partial void LogPruned(int bodies, int reviews, int prompts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Pruning old data failed ({Error}): {Message}")]
    private partial void LogPruneFailed(string error, string message);
}

public static class RetentionServiceCollectionExtensions
{
    /// <summary>The <c>Storage:*</c> retention settings (validated at start-up) and the background pruner.</summary>
    public static IServiceCollection AddRetention(this IServiceCollection services)
    {
        services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RetentionOptions>, RetentionOptionsValidator>();
        services.AddSingleton<IDataRetention>(provider => provider.GetRequiredService<CriticBotStore>());
        services.AddSingleton<RetentionPruner>();
        services.AddHostedService(provider => provider.GetRequiredService<RetentionPruner>());
        return services;
    }
}
