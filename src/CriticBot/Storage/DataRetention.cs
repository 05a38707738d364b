using Microsoft.Extensions.Options;

namespace CriticBot.Storage;

/// <summary>Deleting what the database should no longer hold: old private code, and a repository on request.</summary>
public interface IDataRetention
{
    /// <summary>
    /// Empties the raw bodies of done and ignored deliveries finished before <paramref name="operationalCutoff"/>,
    /// deletes the research records (model calls, candidates, posted comments, prompt links) of reviews finished
    /// before <paramref name="researchCutoff"/> (null keeps them), then deletes prompts created before
    /// <paramref name="operationalCutoff"/> that nothing references any more.
    /// </summary>
    Task<PruneCounts> PruneAsync(DateTimeOffset operationalCutoff, DateTimeOffset? researchCutoff, CancellationToken ct);

    /// <summary>Deletes everything stored about one repository (name compared case-insensitively), in one transaction.</summary>
    Task<ForgetCounts> ForgetRepositoryAsync(string repository, CancellationToken ct);

    /// <summary>Repositories named by the stored deliveries of one installation (to forget on uninstall).</summary>
    Task<IReadOnlyList<string>> GetRepositoriesOfInstallationAsync(long installationId, CancellationToken ct);
}

public sealed record PruneCounts
{
    public int DeliveryBodies { get; init; }
    public int Reviews { get; init; }
    public int Prompts { get; init; }
}

public sealed record ForgetCounts
{
    public int Deliveries { get; init; }
    public int Reviews { get; init; }
    public int Candidates { get; init; }
    public int ModelCalls { get; init; }
    public int Comments { get; init; }
    public int Prompts { get; init; }
}

/// <summary>How long private code is kept: <c>Storage:*</c>.</summary>
public sealed class RetentionOptions
{
    public const string Section = "Storage";

    /// <summary>Raw delivery bodies (done and ignored) and prompts that no research record references.</summary>
    public int RetentionDays { get; set; } = 30;

    /// <summary>Research records (model calls, candidates, posted comments) and the prompts they reference; 0 keeps them.</summary>
    public int ResearchRetentionDays { get; set; } = 365;

    /// <summary>How often the pruner runs.</summary>
    public TimeSpan PruneInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Null when usable; otherwise one line naming the setting.</summary>
    public string? Validate() => this switch
    {
        { RetentionDays: < 1 or > 36500 } => $"Storage:RetentionDays must be from 1 to 36500 days, not {RetentionDays}.",
        { ResearchRetentionDays: < 0 or > 36500 } => $"Storage:ResearchRetentionDays must be from 0 (keep for ever) to 36500 days, not {ResearchRetentionDays}.",
        { ResearchRetentionDays: > 0 } when ResearchRetentionDays < RetentionDays =>
            $"Storage:ResearchRetentionDays ({ResearchRetentionDays}) must be 0 (keep for ever) or at least Storage:RetentionDays ({RetentionDays}).",
        _ when PruneInterval < TimeSpan.FromSeconds(1) || PruneInterval > TimeSpan.FromDays(7) =>
            $"Storage:PruneInterval must be from 00:00:01 to 7.00:00:00, not {PruneInterval}.",
        _ => null,
    };
}

public sealed class RetentionOptionsValidator : IValidateOptions<RetentionOptions>
{
    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Validate() is { } error ? ValidateOptionsResult.Fail(error) : ValidateOptionsResult.Success;
    }
}
