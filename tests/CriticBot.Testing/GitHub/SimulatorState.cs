using System.Security.Cryptography;

namespace CriticBot.Testing.GitHub;

internal sealed class SimulatedApp
{
    public required long AppId { get; init; }
    public required string Slug { get; init; }
    public required RSA PublicKey { get; init; }
}

internal sealed class SimulatedInstallation
{
    public required long Id { get; init; }
    public required string Account { get; init; }
    public required long? AppId { get; init; }
    public required IReadOnlyDictionary<string, string> Permissions { get; set; }

    public bool Grants(string permission, string level) =>
        Permissions.TryGetValue(permission, out var granted)
        && (granted == level || granted == "write" || granted == "admin");
}

internal sealed class SimulatedToken
{
    public required string Value { get; init; }
    public required long InstallationId { get; init; }
    public required long AppId { get; init; }
    public required DateTimeOffset ExpiresAt { get; set; }
}

internal sealed class SimulatedRepository
{
    public required long Id { get; init; }
    public required string Owner { get; init; }
    public required string Name { get; init; }
    public required long InstallationId { get; set; }
    public string DefaultBranch { get; init; } = "main";
    public string FullName => $"{Owner}/{Name}";

    public Dictionary<string, string> Permissions { get; } = new(StringComparer.OrdinalIgnoreCase);
    public Dictionary<(string GitRef, string Path), string> Contents { get; } = [];
    public Dictionary<int, SimulatedPull> Pulls { get; } = [];
    public Dictionary<(string Base, string Head), IReadOnlyList<SimulatedFile>> Compares { get; } = [];
    public List<SimulatedCheckRun> CheckRuns { get; } = [];
}

internal sealed class SimulatedPull
{
    public required long Id { get; init; }
    public required int Number { get; init; }
    public required string Title { get; init; }
    public required string Author { get; init; }
    public required string BaseRef { get; init; }
    public required string BaseSha { get; set; }
    public required string HeadRef { get; init; }
    public required string HeadSha { get; set; }
    public required bool Draft { get; set; }
    public string State { get; set; } = "open";

    /// <summary>The PR's full file list at each head it has had, so reviews on an older commit are checked against that commit.</summary>
    public Dictionary<string, IReadOnlyList<SimulatedFile>> FilesByHead { get; } = new(StringComparer.Ordinal);

    public List<SimulatedReview> Reviews { get; } = [];
    public List<SimulatedReviewComment> Replies { get; } = [];
    public List<SimulatedIssueComment> IssueComments { get; } = [];
    public IReadOnlyList<SimulatedFile> Files => FilesByHead[HeadSha];
}

internal sealed class InjectedFault
{
    public required string Method { get; init; }
    public required string PathContains { get; init; }
    public required int Status { get; init; }
    public required int Remaining { get; set; }
    public TimeSpan? RetryAfter { get; init; }
    public string? Body { get; init; }
}
