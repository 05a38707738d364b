using System.Diagnostics;
using System.Globalization;

namespace CriticBot.Export;

/// <summary>
/// A progress bar with rate and ETA, redrawn in place on a terminal's stderr at most every 200 ms; silent when stderr
/// is redirected (a log file gets the summary line only). The clock is read once per 4,096 events, so the hot loop
/// pays a counter increment.
/// </summary>
public sealed class ExportProgress(TextWriter? terminal, long total)
{
    private const int Width = 30;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _done;
    private long _lastDrawMs = -1000;

    /// <summary>A progress bar on <paramref name="stderr"/> only when it is the process's own, unredirected stderr.</summary>
    public static ExportProgress For(TextWriter stderr, long total) => new(Visible(stderr) ? stderr : null, total);

    /// <summary>Whether <paramref name="stderr"/> is the process's own stderr on a terminal.</summary>
    public static bool Visible(TextWriter stderr) => ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected;

    public void Tick()
    {
        _done++;
        if (terminal is not null && (_done & 4095) == 0)
        {
            Draw(final: false);
        }
    }

    /// <summary>Draws the finished bar and ends its line (so the summary starts on a fresh one).</summary>
    public void Finish()
    {
        if (terminal is not null)
        {
            Draw(final: true);
            terminal.WriteLine();
        }
    }

    private void Draw(bool final)
    {
        var elapsedMs = _clock.ElapsedMilliseconds;
        if (!final && elapsedMs - _lastDrawMs < 200)
        {
            return;
        }

        _lastDrawMs = elapsedMs;
        var share = total > 0 ? Math.Min(1.0, (double)_done / total) : 1.0;
        var filled = (int)(share * Width);
        var rate = elapsedMs > 0 ? _done * 1000.0 / elapsedMs : 0;
        var eta = rate > 0 && total > _done ? TimeSpan.FromSeconds((total - _done) / rate) : TimeSpan.Zero;
        terminal!.Write(string.Create(CultureInfo.InvariantCulture,
            $"\r[{new string('#', filled)}{new string('.', Width - filled)}] {share,4:P0} {_done:N0}/{total:N0} events  {rate:N0}/s  ETA {eta:mm\\:ss} "));
        terminal.Flush();
    }
}
