using System.Buffers;
using System.Runtime.CompilerServices;
using CriticBot.Engine.Diff;
using Microsoft.ML.Tokenizers;

namespace CriticBot.Engine.Chunking;

/// <summary>Counts the tokens a model will see for a text.</summary>
public interface ITokenCounter
{
    int Count(string text);

    /// <summary>True when <see cref="Count"/> may be called from several threads at once (a large diff is then counted in parallel).</summary>
    bool IsThreadSafe => false;

    /// <summary>The tokens of <see cref="ChunkRenderer.RenderFile"/>'s text for <paramref name="file"/>; a counter may skip building it.</summary>
    int CountRendered(FileDiff file) => Count(ChunkRenderer.RenderFile(file));

    /// <summary>The tokens of <see cref="ChunkRenderer.RenderHunk"/>'s text for <paramref name="hunk"/>; a counter may skip building it.</summary>
    int CountRendered(DiffHunk hunk) => Count(ChunkRenderer.RenderHunk(hunk));
}

/// <summary>Counts with OpenAI's o200k_base encoding (GPT-4o and later), built into the package: no download.</summary>
/// <remarks>
/// Exact, and fast on code: see <see cref="AsciiPreTokenizer"/>. A rendered diff is counted line by line, each line
/// written into a reused buffer instead of a string: o200k's pre-tokens never cross the end of a rendered line (every
/// rendered line starts with a marker, '@' or '#', which no pre-token ending in a line break can continue into), so
/// the sum of the lines' counts is the count of the whole text (tested).
/// </remarks>
public sealed class TiktokenTokenCounter : ITokenCounter
{
    // Loading the vocabulary takes a noticeable moment; do it once per process, on first use.
    private static readonly Lazy<TiktokenTokenizer> Tokenizer = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));
    private static readonly Lazy<AsciiPreTokenizer> Fast = new(() => new AsciiPreTokenizer(Tokenizer.Value));

    /// <summary>Starts loading the vocabulary on the thread pool (about half a second), so that it overlaps reading and parsing a diff.</summary>
    public static void StartLoading() => ThreadPool.QueueUserWorkItem(static _ =>
    {
        try
        {
            _ = Fast.Value;
        }
        catch (Exception)
        {
            // Lazy keeps the exception: the first real count throws it where it can be handled, not here where it
            // would end the process.
        }
    });

    public bool IsThreadSafe => true;

    public int Count(string text) => string.IsNullOrEmpty(text) ? 0 : Fast.Value.Count(text);

    public int CountRendered(FileDiff file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var total = Count(ChunkRenderer.RenderHeader(file));
        foreach (var hunk in file.Hunks)
            total += CountRendered(hunk);
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int CountRendered(DiffHunk hunk)
    {
        ArgumentNullException.ThrowIfNull(hunk);
        var fast = Fast.Value;
        var total = fast.Count(ChunkRenderer.RenderHunkHeader(hunk));
        var buffer = ArrayPool<char>.Shared.Rent(1024);
        try
        {
            foreach (var line in hunk.Lines)
            {
                var needed = ChunkRenderer.MaxLineChars(line);
                if (needed > buffer.Length)
                {
                    ArrayPool<char>.Shared.Return(buffer);
                    buffer = ArrayPool<char>.Shared.Rent(needed);
                }

                total += fast.Count(buffer.AsSpan(0, ChunkRenderer.WriteLine(line, buffer)));
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }

        return total;
    }
}
