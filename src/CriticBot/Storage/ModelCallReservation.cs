namespace CriticBot.Storage;

/// <summary>
/// A request for model calls from two hourly budgets: the repository's and the pull-request author's. Budgets are
/// counted per fixed window (<see cref="WindowStart"/>, the start of the clock hour), shared by every replica on
/// the database.
/// </summary>
public sealed record ModelCallReservation
{
    public required string Repository { get; init; }
    public required string Author { get; init; }
    public required DateTimeOffset WindowStart { get; init; }
    public required int RepositoryLimit { get; init; }
    public required int AuthorLimit { get; init; }
    public required int Wanted { get; init; }

    /// <summary>The start of the clock hour <paramref name="now"/> falls in.</summary>
    public static DateTimeOffset HourOf(DateTimeOffset now) =>
        new(now.UtcDateTime.Year, now.UtcDateTime.Month, now.UtcDateTime.Day, now.UtcDateTime.Hour, 0, 0, TimeSpan.Zero);
}

/// <summary>What <see cref="IModelCallBudgetLedger.ReserveModelCallsAsync"/> granted, and what each budget had left before.</summary>
public sealed record ModelCallGrant(int Granted, long RepositoryLeft, long AuthorLeft);
