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

    /// <summary>Records which tenant entered the model in which order; each call waits for a permit to finish.</summary>
    private sealed class RecordingModel : ICriticModel
    {
        private readonly Lock _lock = new();
        public readonly List<string> Entered = [];
        public readonly SemaphoreSlim Permits = new(0);

        public async Task<ModelAnswer> CompleteAsync(ModelRequest request, CancellationToken cancellationToken)
        {
            lock (_lock)
            {
                Entered.Add(request.Tenant ?? "");
            }

            await Permits.WaitAsync(cancellationToken);
            return new ModelAnswer { Text = "{\"comments\":[]}" };
        }
    }

    [Fact]
    public async Task Two_installations_take_turns_so_a_big_backlog_cannot_starve_a_small_one()
    {
        var inner = new RecordingModel();
        using var limited = new ConcurrencyLimitedModel(inner, 1);

        // Installation 1 queues a big pull request's worth of calls first; installation 2 then asks for two.
        var big = Enumerable.Range(0, 12).Select(_ => limited.CompleteAsync(Request with { Tenant = "1" }, CancellationToken.None)).ToList();
        var small = Enumerable.Range(0, 2).Select(_ => limited.CompleteAsync(Request with { Tenant = "2" }, CancellationToken.None)).ToList();

        inner.Permits.Release(100);
        await Task.WhenAll(big.Concat(small));

        // A first-come queue would serve installation 2 after all twelve; turns serve it second and fourth.
        Assert.Equal(["1", "1", "2", "1", "2"], inner.Entered.Take(5));
        Assert.Equal(14, inner.Entered.Count);
    }

    [Fact]
    public async Task A_cancelled_waiter_gives_its_turn_to_the_next_tenant()
    {
        var inner = new RecordingModel();
        using var limited = new ConcurrencyLimitedModel(inner, 1);
        var first = limited.CompleteAsync(Request with { Tenant = "1" }, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var abandoned = Enumerable.Range(0, 5).Select(_ => limited.CompleteAsync(Request with { Tenant = "2" }, cancel.Token)).ToList();
        var other = limited.CompleteAsync(Request with { Tenant = "3" }, CancellationToken.None);

        await cancel.CancelAsync();
        foreach (var call in abandoned)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        }

        inner.Permits.Release(10);
        await Task.WhenAll(first, other);
        Assert.Equal(["1", "3"], inner.Entered);
    }
}
