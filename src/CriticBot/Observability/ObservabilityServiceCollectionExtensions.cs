using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace CriticBot.Observability;

public static class ObservabilityServiceCollectionExtensions
{
    public const string MetricsPath = "/metrics";
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>The meter .NET itself publishes (dotnet.gc.*, dotnet.thread_pool.*, dotnet.process.*).</summary>
    public const string RuntimeMeterName = "System.Runtime";

    /// <summary>
    /// <see cref="CriticBotMetrics"/> with a Prometheus exporter (<c>/metrics</c>, see <see cref="MapCriticBotMetrics"/>),
    /// and traces of intake, reviews and model calls exported over OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
    /// </summary>
    public static IServiceCollection AddCriticBotObservability(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton<CriticBotMetrics>();
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("criticbot", serviceVersion: CriticBotTelemetry.Version))
            .WithMetrics(metrics => metrics.AddMeter(CriticBotMetrics.MeterName)
                // The runtime's own meter: GC heap, committed memory, pauses, thread pool (what sizing and alerts need).
                .AddMeter(RuntimeMeterName)
                // No cached scrapes: a scrape shows what happened up to it (the inbox gauges cache their query for a second).
                .AddPrometheusExporter(options => options.ScrapeResponseCacheDurationMilliseconds = 0));
        if (!string.IsNullOrWhiteSpace(configuration[OtlpEndpointSetting]))
        {
            // The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT (and _PROTOCOL, _HEADERS) itself.
            telemetry.WithTracing(tracing => tracing.AddSource(CriticBotTelemetry.SourceName).AddOtlpExporter());
        }

        return services;
    }

    /// <summary>GET /metrics in Prometheus' text format (no secrets: counts and durations only).</summary>
    public static IEndpointRouteBuilder MapCriticBotMetrics(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPrometheusScrapingEndpoint(MetricsPath);
        return endpoints;
    }
}
