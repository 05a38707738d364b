using System.Globalization;
using CriticBot.Engine;
using CriticBot.Storage;
using Microsoft.Extensions.Options;

namespace CriticBot.Reviews;

/// <summary>
/// The hourly model-call budgets of a repository and of a pull-request author, kept in the store so every replica
/// shares them. A review reserves what its plan could use at most, runs with what it was granted (the engine then
/// reviews fewer chunks and names the rest), and gives back what it did not use.
/// </summary>
public sealed class ModelCallBudgets(IModelCallBudgetLedger store, IOptions<ReviewOptions> options, TimeProvider time)
{
    public async Task<ModelCallAllowance> ReserveAsync(ReviewRequest request, ReviewTarget target, int wanted, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(target);
        var settings = options.Value;
        var reservation = new ModelCallReservation
        {
            // GitHub names are case-insensitive: one budget per repository and per account, however spelt.
            Repository = request.Repository.ToLowerInvariant(),
            Author = target.PullRequest.AuthorLogin.ToLowerInvariant(),
            WindowStart = ModelCallReservation.HourOf(time.GetUtcNow()),
            RepositoryLimit = settings.RepositoryModelCallsPerHour,
            AuthorLimit = settings.AuthorModelCallsPerHour,
            Wanted = wanted,
        };
        var grant = wanted <= 0 ? new ModelCallGrant(0, 0, 0) : await store.ReserveModelCallsAsync(reservation, ct);
        string? limit = null;
        if (grant.Granted < wanted)
        {
            limit = grant.RepositoryLeft <= grant.AuthorLeft
                ? string.Create(CultureInfo.InvariantCulture, $"this repository's hourly budget of {settings.RepositoryModelCallsPerHour} model calls")
                : string.Create(CultureInfo.InvariantCulture, $"the hourly budget of {settings.AuthorModelCallsPerHour} model calls for @{target.PullRequest.AuthorLogin}'s pull requests");
        }

        return new ModelCallAllowance(store, reservation, grant.Granted, limit);
    }
}

/// <summary>Model calls granted to one review; <see cref="Limit"/> names the budget that granted fewer than wanted.</summary>
public sealed class ModelCallAllowance(IModelCallBudgetLedger store, ModelCallReservation reservation, int granted, string? limit)
{
    public int Granted { get; } = granted;

    /// <summary>Null when everything asked for was granted.</summary>
    public string? Limit { get; } = limit;

    /// <summary>The review's options cut to the grant.</summary>
    public CriticOptions Apply(CriticOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Limit is null ? options : options with { MaxModelCalls = Math.Min(options.MaxModelCalls, Granted), ModelCallsLimitName = Limit };
    }

    /// <summary>Returns the calls granted but not made, so the hour's budget counts what was really spent.</summary>
    public Task SettleAsync(int callsMade, CancellationToken ct) =>
        Granted > callsMade ? store.ReturnModelCallsAsync(reservation, Granted - callsMade, ct) : Task.CompletedTask;
}
