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

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        services.AddSingleton(resilience);
        services.AddSingleton(_ => new GitHubAppJwt(options));
        services.AddSingleton(sp => new InstallationTokenProvider(
            options, sp.GetRequiredService<GitHubAppJwt>(), resilience, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<InstallationTokenProvider>>()));
        services.AddSingleton(sp => new GitHubClientFactory(
            options, sp.GetRequiredService<InstallationTokenProvider>(), resilience, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<GitHubClientFactory>>()));
        services.AddSingleton<IGitHubGateway, GitHubGateway>();
        services.AddSingleton<ReviewPublisher>();
        return services;
    }
}
