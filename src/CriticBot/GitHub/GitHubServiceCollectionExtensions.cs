using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace CriticBot.GitHub;

public static class GitHubServiceCollectionExtensions
{
    /// <summary>
    /// Registers the GitHub App side (auth, clients, <see cref="IGitHubGateway"/>, <see cref="ReviewPublisher"/>) from the
    /// flat GITHUB_* settings. Throws <see cref="GitHubConfigurationException"/> with one line naming the wrong setting.
    /// </summary>
    public static IServiceCollection AddGitHubApp(this IServiceCollection services, IConfiguration configuration, Action<GitHubResilienceOptions>? configure = null) =>
        services.AddGitHubApp(GitHubAppOptions.Load(configuration), configure);

    public static IServiceCollection AddGitHubApp(this IServiceCollection services, GitHubAppOptions options, Action<GitHubResilienceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is { } error)
            throw new GitHubConfigurationException(error);
        var resilience = new GitHubResilienceOptions();
        configure?.Invoke(resilience);
        return services.AddGitHubApp(_ => options, _ => resilience);
    }

    /// <summary>
    /// Registers the GitHub App side with settings resolved when first needed, so a host can validate them at
    /// start-up (after every configuration source is in) rather than at registration.
    /// </summary>
    public static IServiceCollection AddGitHubApp(
        this IServiceCollection services, Func<IServiceProvider, GitHubAppOptions> options, Func<IServiceProvider, GitHubResilienceOptions> resilience)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton(resilience);
        services.AddSingleton(sp => new GitHubAppJwt(sp.GetRequiredService<GitHubAppOptions>()));
        services.AddSingleton(sp => new InstallationTokenProvider(
            sp.GetRequiredService<GitHubAppOptions>(), sp.GetRequiredService<GitHubAppJwt>(), sp.GetRequiredService<GitHubResilienceOptions>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<InstallationTokenProvider>>(), metrics: sp.GetService<CriticBot.Observability.CriticBotMetrics>()));
        services.AddSingleton(sp => new GitHubClientFactory(
            sp.GetRequiredService<GitHubAppOptions>(), sp.GetRequiredService<InstallationTokenProvider>(), sp.GetRequiredService<GitHubResilienceOptions>(),
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<GitHubClientFactory>>(), metrics: sp.GetService<CriticBot.Observability.CriticBotMetrics>()));
        services.AddSingleton<IGitHubGateway, GitHubGateway>();
        services.AddSingleton<ReviewPublisher>();
        return services;
    }
}
