using System.Threading.Channels;

namespace CriticBot.Inbox;

/// <summary>Wakes the inbox worker when intake stores a delivery; many wakes collapse into one.</summary>
public sealed class InboxSignal
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Wake() => _channel.Writer.TryWrite(true);

    /// <summary>Completes at the next wake (or at once if one is pending), or when <paramref name="ct"/> fires.</summary>
    public async Task WaitAsync(CancellationToken ct)
    {
        await _channel.Reader.ReadAsync(ct);
    }
}
