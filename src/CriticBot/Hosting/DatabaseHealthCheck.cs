using CriticBot.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CriticBot.Hosting;

/// <summary>Ready means the database answers: without it no delivery can be stored.</summary>
public sealed class DatabaseHealthCheck(CriticBotStore store) : IHealthCheck
{
    public const string ReadyTag = "ready";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await store.PingAsync(timeout.Token);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex)
        {
            // The exception type is enough for the probe; details go nowhere public.
            return HealthCheckResult.Unhealthy($"database unreachable ({ex.GetType().Name})");
        }
    }
}
