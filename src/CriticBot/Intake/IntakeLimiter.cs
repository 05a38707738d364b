namespace CriticBot.Intake;

/// <summary>
/// Caps what webhook intake holds at once: requests being read, and among them those allowed to buffer more than
/// <see cref="WebhookOptions.LargeBodyBytes"/>. Never waits: a request that finds no room is refused at once
/// (503 with Retry-After), so neither waiting connections nor their bodies pile up in memory. With the defaults
/// intake buffers at most 256 × 256 KiB + 4 × 25 MiB = 164 MiB of bodies, whatever clients announce or send.
/// </summary>
public sealed class IntakeLimiter
{
    private readonly int _maxRequests;
    private readonly int _maxLargeBodies;
    private int _requests;
    private int _largeBodies;

    public IntakeLimiter(int maxRequests, int maxLargeBodies)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRequests, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLargeBodies, 1);
        _maxRequests = maxRequests;
        _maxLargeBodies = maxLargeBodies;
    }

    public int RequestsInFlight => Volatile.Read(ref _requests);

    public int LargeBodiesInFlight => Volatile.Read(ref _largeBodies);

    /// <summary>A slot for one request, or null when the maximum number of requests is already being read.</summary>
    public Lease? TryEnter() => TryTake(ref _requests, _maxRequests) ? new Lease(this) : null;

    private static bool TryTake(ref int counter, int limit)
    {
        if (Interlocked.Increment(ref counter) <= limit)
        {
            return true;
        }

        Interlocked.Decrement(ref counter);
        return false;
    }

    /// <summary>One request's slot, upgraded to a large-body permit when its body needs one; disposing frees both.</summary>
    public sealed class Lease : IDisposable
    {
        private readonly IntakeLimiter _limiter;
        private bool _holdsLargeBody;
        private bool _disposed;

        internal Lease(IntakeLimiter limiter) => _limiter = limiter;

        /// <summary>True when the lease holds (or now takes) one of the large-body permits. One request, one thread.</summary>
        public bool TryHoldLargeBody()
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _holdsLargeBody = _holdsLargeBody || TryTake(ref _limiter._largeBodies, _limiter._maxLargeBodies);
            return _holdsLargeBody;
        }

        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_holdsLargeBody)
            {
                Interlocked.Decrement(ref _limiter._largeBodies);
            }

            Interlocked.Decrement(ref _limiter._requests);
        }
    }
}
