namespace CriticBot.Engine.Model;

/// <summary>
/// Caps the model calls in flight across everything that shares this instance: in the service, all reviews
/// running at once, so several pull requests cannot together exceed what the provider's rate limit allows.
/// (Each review also has its own, smaller limit.) Waiting calls are served fairly: a freed slot goes to the
/// tenants (<see cref="ModelRequest.Tenant"/>, the GitHub installation in the service) in turn, one call each,
/// so a tenant with hundreds of queued calls cannot starve one with a few. Within a tenant, calls keep their order.
/// </summary>
public sealed class ConcurrencyLimitedModel : ICriticModel, IDisposable
{
    private readonly ICriticModel _inner;
    private readonly Lock _lock = new();

    // Waiting calls per tenant, and the tenants that have any, in the order they get their next turn.
    private readonly Dictionary<string, LinkedList<TaskCompletionSource>> _waiting = new(StringComparer.Ordinal);
    private readonly LinkedList<string> _turns = new();
    private int _inFlight;

    public ConcurrencyLimitedModel(ICriticModel inner, int maxConcurrentCalls)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrentCalls, 1);
        _inner = inner;
        MaxConcurrentCalls = maxConcurrentCalls;
    }

    public int MaxConcurrentCalls { get; }

    /// <summary>Calls of <paramref name="tenant"/> waiting for a slot now (for monitoring and tests).</summary>
    public int WaitingCalls(string? tenant)
    {
        lock (_lock)
        {
            return _waiting.TryGetValue(tenant ?? "", out var queue) ? queue.Count : 0;
        }
    }

    public async Task<ModelAnswer> CompleteAsync(ModelRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        await EnterAsync(request.Tenant ?? "", cancellationToken);
        try
        {
            return await _inner.CompleteAsync(request, cancellationToken);
        }
        finally
        {
            Leave();
        }
    }

    private async Task EnterAsync(string tenant, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        TaskCompletionSource waiter;
        LinkedListNode<TaskCompletionSource> node;
        lock (_lock)
        {
            if (_inFlight < MaxConcurrentCalls && _turns.Count == 0)
            {
                _inFlight++;
                return;
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_waiting.TryGetValue(tenant, out var queue))
            {
                queue = new LinkedList<TaskCompletionSource>();
                _waiting[tenant] = queue;
                _turns.AddLast(tenant);
            }

            node = queue.AddLast(waiter);
        }

        // A cancelled wait leaves the queue at once: an abandoned review's calls never take a slot.
        await using var registration = cancellationToken.Register(() => Abandon(tenant, node));
        await waiter.Task;
    }

    private void Abandon(string tenant, LinkedListNode<TaskCompletionSource> node)
    {
        lock (_lock)
        {
            if (node.List is null || !_waiting.TryGetValue(tenant, out var queue))
            {
                return; // already given a slot
            }

            queue.Remove(node);
            if (queue.Count == 0)
            {
                _waiting.Remove(tenant);
                _turns.Remove(tenant);
            }

            node.Value.TrySetCanceled();
        }
    }

    /// <summary>Hands the slot to the first waiting call of the tenant whose turn it is, or frees it.</summary>
    private void Leave()
    {
        lock (_lock)
        {
            if (_turns.First is { } turn)
            {
                var tenant = turn.Value;
                var queue = _waiting[tenant];
                var next = queue.First!;
                queue.RemoveFirst();
                _turns.RemoveFirst();
                if (queue.Count > 0)
                {
                    _turns.AddLast(tenant);
                }
                else
                {
                    _waiting.Remove(tenant);
                }

                // The slot passes on: _inFlight is unchanged.
                next.Value.TrySetResult();
                return;
            }

            _inFlight--;
        }
    }

    public void Dispose()
    {
        // Nothing to release: no OS handles. Kept so existing owners can dispose it.
    }
}
