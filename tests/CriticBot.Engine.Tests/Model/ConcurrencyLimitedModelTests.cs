using CriticBot.Engine.Model;

namespace CriticBot.Engine.Tests.Model;

public sealed class ConcurrencyLimitedModelTests
{
    /// <summary>Counts calls in flight; each call waits until the test lets it finish.</summary>
    private sealed class GatedModel : ICriticModel
    {
        private int _inFlight;
        public int MaxInFlight;
        public readonly TaskCompletionSource Release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<ModelAnswer> CompleteAsync(ModelRequest request, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _inFlight);
            InterlockedMax(ref MaxInFlight, now);
            await Release.Task.WaitAsync(cancellationToken);
            Interlocked.Decrement(ref _inFlight);
            return new ModelAnswer { Text = "{\"comments\":[]}" };
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int seen;
            while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
            {
            }
        }
    }

    private static readonly ModelRequest Request = new() { SystemPrompt = "s", UserPrompt = "u" };

    [Fact]
    public async Task No_more_calls_than_the_limit_are_in_flight_across_all_callers()
    {
        var inner = new GatedModel();
        using var limited = new ConcurrencyLimitedModel(inner, 2);

        // The first two calls enter the model synchronously; the other eight wait for a slot. None can finish yet.
        var calls = Enumerable.Range(0, 10).Select(_ => limited.CompleteAsync(Request, CancellationToken.None)).ToList();
        Assert.Equal(2, Volatile.Read(ref inner.MaxInFlight));
        Assert.DoesNotContain(calls, c => c.IsCompleted);

        inner.Release.SetResult();
        await Task.WhenAll(calls);
        Assert.Equal(2, inner.MaxInFlight);
    }

    [Fact]
    public async Task A_caller_waiting_for_a_slot_can_give_up()
    {
        var inner = new GatedModel();
        using var limited = new ConcurrencyLimitedModel(inner, 1);
        var first = limited.CompleteAsync(Request, CancellationToken.None);

        using var cancel = new CancellationTokenSource();
        var waiting = limited.CompleteAsync(Request, cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);

        inner.Release.SetResult();
        await first;
    }
}
