namespace CriticBot.Storage;

/// <summary>
/// Hourly model-call budgets per repository and per pull-request author, shared by every replica on the database
/// (issue 6 §5): a review reserves what it may use and gives back what it did not.
/// </summary>
public interface IModelCallBudgetLedger
{
    /// <summary>
    /// Takes up to <see cref="ModelCallReservation.Wanted"/> model calls from both hourly budgets (the repository's
    /// and the author's) in one transaction; grants the least either had left (0..Wanted).
    /// </summary>
    Task<ModelCallGrant> ReserveModelCallsAsync(ModelCallReservation reservation, CancellationToken ct);

    /// <summary>Gives calls that were reserved but not made back to both budgets of the reservation's window.</summary>
    Task ReturnModelCallsAsync(ModelCallReservation reservation, int calls, CancellationToken ct);
}
