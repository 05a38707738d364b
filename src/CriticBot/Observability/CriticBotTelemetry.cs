using System.Diagnostics;
using System.Reflection;

namespace CriticBot.Observability;

/// <summary>
/// The spans CriticBot makes: intake of one delivery, one review, one model call. Exported over OTLP only when
/// OTEL_EXPORTER_OTLP_ENDPOINT is set (see <see cref="ObservabilityServiceCollectionExtensions"/>); with no
/// listener, starting one costs nothing. Tags are ids and counts, never code, tokens or prompts.
/// </summary>
public static class CriticBotTelemetry
{
    public const string SourceName = "CriticBot";

    public static ActivitySource Source { get; } = new(SourceName, Version);

    /// <summary>The assembly's informational version (set at build time; e.g. "1.2.0+abc123"), also <c>criticbot --version</c>.</summary>
    public static string Version { get; } =
        typeof(CriticBotTelemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static Activity? StartIntake(string eventName, string deliveryId) =>
        Source.StartActivity("webhook intake", ActivityKind.Server)?.SetTag("github.event", eventName).SetTag("github.delivery_id", deliveryId);

    public static Activity? StartReview(string repository, int pullRequest) =>
        Source.StartActivity("review")?.SetTag("github.repository", repository).SetTag("github.pull_request", pullRequest);
}
