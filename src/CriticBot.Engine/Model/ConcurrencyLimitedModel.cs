namespace CriticBot.Engine.Model;

/// <summary>
/// Caps the model calls in flight across everything that shares this instance: in the service, all reviews
/// running at once, so several pull requests cannot together exceed what the provider's rate limit allows.
/// (Each review also has its own, smaller limit.)
/// </summary>
public sealed class ConcurrencyLimitedModel : ICriticModel, IDisposable
{
    private readonly ICriticModel _inner;
    private readonly SemaphoreSlim _gate;

    public ConcurrencyLimitedModel(ICriticModel inner, int maxConcurrentCalls)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrentCalls, 1);
        _inner = inner;
        _gate = new SemaphoreSlim(maxConcurrentCalls, maxConcurrentCalls);
        MaxConcurrentCalls = maxConcurrentCalls;
    }

    public int MaxConcurrentCalls { get; }

    public async Task<ModelAnswer> CompleteAsync(ModelRequest request, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await _inner.CompleteAsync(request, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();
}
