using CriticBot.Export.Rows;
using CriticBot.Storage;

namespace CriticBot.Export;

/// <summary>
/// The chat messages of recently used prompts, by hash: a prompt is read from the database once while it stays among
/// the last <see cref="Capacity"/> used, and rows of the same prompt share one message list (rows are written at once
/// and never changed), so a prompt repeated across thousands of rows costs one read and one copy.
/// </summary>
public sealed class PromptCache(ExportPromptReader reader, int capacity = PromptCache.Capacity)
{
    public const int Capacity = 256;

    private readonly Dictionary<string, LinkedListNode<(string Sha, List<ChatMessage> Messages)>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Sha, List<ChatMessage> Messages)> _recency = new();

    public long Reads { get; private set; }

    /// <summary>System and user messages of the prompt; null when it is no longer stored.</summary>
    public async ValueTask<List<ChatMessage>?> GetAsync(string sha256, CancellationToken ct)
    {
        if (_entries.TryGetValue(sha256, out var node))
        {
            _recency.Remove(node);
            _recency.AddFirst(node);
            return node.Value.Messages;
        }

        Reads++;
        if (await reader.ReadAsync(sha256, ct) is not { } prompt)
        {
            return null;
        }

        List<ChatMessage> messages =
        [
            new ChatMessage { Role = "system", Content = prompt.System },
            new ChatMessage { Role = "user", Content = prompt.User },
        ];
        if (_entries.Count >= capacity && _recency.Last is { } oldest)
        {
            _recency.RemoveLast();
            _entries.Remove(oldest.Value.Sha);
        }

        _entries[sha256] = _recency.AddFirst((sha256, messages));
        return messages;
    }
}
