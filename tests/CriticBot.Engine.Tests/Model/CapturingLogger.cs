using Microsoft.Extensions.Logging;

namespace CriticBot.Engine.Tests.Model;

/// <summary>Keeps every log entry: the rendered message and its structured values.</summary>
internal sealed class CapturingLogger<T> : ILogger<T>
{
    private readonly Lock _gate = new();
    private readonly List<(string Message, IReadOnlyDictionary<string, object?> Values)> _entries = [];

    public IReadOnlyList<(string Message, IReadOnlyDictionary<string, object?> Values)> Entries
    {
        get { lock (_gate) return [.. _entries]; }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? pairs.ToDictionary(p => p.Key, p => p.Value)
            : new Dictionary<string, object?>();
        lock (_gate)
            _entries.Add((formatter(state, exception), values));
    }
}
