using Octokit;
using Octokit.Internal;

namespace CriticBot.GitHub;

/// <summary>Builds Octokit connections over our own handler chain, at exactly the configured base address.</summary>
internal static class GitHubConnections
{
    private static readonly string ProductVersion =
        typeof(GitHubConnections).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static Connection Create(Uri apiUrl, ICredentialStore credentials, HttpMessageHandler handler) =>
        // Connection (unlike GitHubClient's Uri constructor) takes the base address as given: no "/api/v3/" guessing.
        new(
            new ProductHeaderValue("CriticBot", ProductVersion),
            GitHubAppOptions.ToBaseAddress(apiUrl),
            credentials,
            new HttpClientAdapter(() => handler),
            new SimpleJsonSerializer());

    /// <summary>Credentials looked up per request, so a renewed token is used without rebuilding the client.</summary>
    public sealed class DynamicCredentialStore(Func<Task<Credentials>> credentials) : ICredentialStore
    {
        public Task<Credentials> GetCredentials() => credentials();
    }
}
