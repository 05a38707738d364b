using System.Collections.Concurrent;
using CriticBot.GitHub;
using Microsoft.Extensions.Options;

namespace CriticBot.Feedback;

/// <summary>
/// A rater's role on the repository (GET /repos/{o}/{r}/collaborators/{user}/permission), cached for
/// <see cref="FeedbackOptions.PermissionCacheTime"/> so a busy thread or poll costs one look-up per person.
/// </summary>
public sealed class RaterPermissions(IGitHubGateway github, IOptions<FeedbackOptions> options, TimeProvider time)
{
    // Bounded: past this many entries the cache starts over (a look-up costs one request, not correctness).
    private const int MaxEntries = 10_000;

    private static readonly IReadOnlySet<string> Writers = new HashSet<string>(StringComparer.Ordinal) { "admin", "maintain", "write" };

    private readonly ConcurrentDictionary<(long Installation, string Repository, string Login), (string Role, DateTimeOffset Until)> _cache = new();

    public static bool HasWriteAccess(string? role) => role is not null && Writers.Contains(role);

    public async Task<string> GetAsync(long installationId, RepoRef repo, string login, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(repo);
        var key = (installationId, repo.ToString().ToLowerInvariant(), login.ToLowerInvariant());
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(key, out var cached) && cached.Until > now)
        {
            return cached.Role;
        }

        var role = await github.GetRoleAsync(installationId, repo, login, ct);
        if (_cache.Count >= MaxEntries)
        {
            _cache.Clear();
        }

        _cache[key] = (role, now + options.Value.PermissionCacheTime);
        return role;
    }
}
