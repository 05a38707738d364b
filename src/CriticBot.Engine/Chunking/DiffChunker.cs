using System.Globalization;
using CriticBot.Engine.Diff;

namespace CriticBot.Engine.Chunking;

/// <summary>
/// Cuts a diff into chunks that fit a token budget, aware of files and hunks: whole files are packed together while
/// they fit; a file too big for one chunk is split at hunk boundaries; a hunk too big is split at line boundaries
/// into pieces (each a hunk of its own, with its own start numbers); a single line too big is cut. Every split and
/// cut is reported in <see cref="ChunkPlan.Truncations"/>: nothing is dropped silently. Same input, same plan.
/// </summary>
public sealed class DiffChunker(ITokenCounter counter)
{
    // Tokens for the blank line between two files in one chunk.
    private const int FileSeparatorTokens = 1;

    // Below this many files a diff is counted on one thread (starting more costs more than it saves).
    private const int ParallelFiles = 64;

    private readonly ITokenCounter _counter = counter ?? throw new ArgumentNullException(nameof(counter));

    public ChunkPlan Plan(ParsedDiff diff, ChunkingOptions options)
    {
        ArgumentNullException.ThrowIfNull(diff);
        ArgumentNullException.ThrowIfNull(options);
        var budget = Math.Max(1, options.MaxChunkTokens);
        var skipped = new List<SkippedFile>();
        var truncations = new List<string>();
        var packer = new Packer(budget);
        var filesReviewed = 0;
        var hunksReviewed = 0;

        // Filtering and counting each file are independent of the others: on a large diff they run on every core (when
        // the counter allows), and the packing below, which depends on order, stays sequential and deterministic.
        var files = diff.Files;
        var reasons = new string?[files.Count];
        var costs = new int[files.Count];
        void Measure(int i)
        {
            reasons[i] = FileFilter.SkipReason(files[i], options);
            if (reasons[i] is null)
                costs[i] = _counter.CountRendered(files[i]);
        }

        if (_counter.IsThreadSafe && files.Count >= ParallelFiles)
            // At most a thread per core: a review must not take the whole pool (intake answers webhooks on it).
            Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, Measure);
        else
        {
            for (var i = 0; i < files.Count; i++)
                Measure(i);
        }

        for (var i = 0; i < files.Count; i++)
        {
            var file = files[i];
            if (reasons[i] is { } reason)
            {
                skipped.Add(new SkippedFile(file.Path, reason));
                continue;
            }

            filesReviewed++;
            hunksReviewed += file.Hunks.Count;
            var wholeCost = costs[i];
            if (wholeCost <= budget)
            {
                packer.Add(file, file.Hunks, wholeCost, headerCost: 0);
                continue;
            }

            AddFileByHunks(packer, file, budget, truncations);
        }

        var chunks = packer.Finish();
        return new ChunkPlan
        {
            Chunks = chunks,
            SkippedFiles = skipped,
            Truncations = truncations,
            FilesReviewed = filesReviewed,
            HunksReviewed = hunksReviewed,
            EstimatedPromptTokens = chunks.Sum(c => c.EstimatedTokens),
        };
    }

    private void AddFileByHunks(Packer packer, FileDiff file, int budget, List<string> truncations)
    {
        var headerCost = _counter.Count(ChunkRenderer.RenderHeader(file));
        var chunksBefore = packer.ChunksStartedFor(file);
        foreach (var hunk in file.Hunks)
        {
            var hunkCost = _counter.CountRendered(hunk);
            if (headerCost + hunkCost <= budget)
            {
                packer.Add(file, [hunk], hunkCost, headerCost);
                continue;
            }

            var pieces = SplitHunk(file, hunk, budget - headerCost, truncations);
            if (pieces.Count > 1)
                truncations.Add(string.Create(CultureInfo.InvariantCulture, $"{file.Path}: hunk at {HunkPosition(hunk)} split into {pieces.Count} pieces"));
            foreach (var (piece, cost) in pieces)
                packer.Add(file, [piece], cost, headerCost);
        }

        var chunksUsed = packer.ChunksStartedFor(file) - chunksBefore;
        if (chunksUsed > 1)
            truncations.Add(string.Create(CultureInfo.InvariantCulture, $"{file.Path}: split across {chunksUsed} chunks"));
    }

    private static string HunkPosition(DiffHunk hunk) =>
        hunk.NewCount == 0 && hunk.OldCount > 0
            ? string.Create(CultureInfo.InvariantCulture, $"-{hunk.OldStart}")
            : string.Create(CultureInfo.InvariantCulture, $"+{hunk.NewStart}");

    /// <summary>Cuts one hunk into pieces of whole lines, each (with its own hunk header) within <paramref name="room"/> tokens.</summary>
    private List<(DiffHunk Piece, int Cost)> SplitHunk(FileDiff file, DiffHunk hunk, int room, List<string> truncations)
    {
        var pieces = new List<(DiffHunk, int)>();
        var lines = new List<DiffLine>();
        var linesCost = 0;
        // A piece header such as "@@ -1200,40 +1210,38 @@ section" costs about the same as the original's.
        var pieceHeaderCost = _counter.Count(ChunkRenderer.RenderHunkHeader(hunk));
        int oldNext = hunk.OldStart, newNext = hunk.NewStart;
        int pieceOld = oldNext, pieceNew = newNext;

        void ClosePiece()
        {
            if (lines.Count == 0)
                return;
            var piece = MakePiece(hunk, lines, pieceOld, pieceNew);
            pieces.Add((piece, _counter.CountRendered(piece)));
            lines.Clear();
            linesCost = 0;
        }

        foreach (var original in hunk.Lines)
        {
            var line = original;
            var lineCost = _counter.Count(ChunkRenderer.RenderLine(line));
            if (pieceHeaderCost + lineCost > room)
            {
                ClosePiece();
                (line, lineCost) = CutLine(line, Math.Max(1, room - pieceHeaderCost));
                truncations.Add(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{file.Path}: line {LinePosition(original)} cut to {line.Text.Length} of {original.Text.Length} characters"));
            }
            else if (lines.Count > 0 && pieceHeaderCost + linesCost + lineCost > room)
                ClosePiece();

            if (lines.Count == 0)
                (pieceOld, pieceNew) = (oldNext, newNext);
            lines.Add(line);
            linesCost += lineCost;
            if (line.OldLine > 0)
                oldNext = line.OldLine + 1;
            if (line.NewLine > 0)
                newNext = line.NewLine + 1;
        }

        ClosePiece();
        return pieces;
    }

    private static string LinePosition(DiffLine line) =>
        line.Kind == DiffLineKind.Removed
            ? string.Create(CultureInfo.InvariantCulture, $"-{line.OldLine}")
            : string.Create(CultureInfo.InvariantCulture, $"+{line.NewLine}");

    /// <summary>A hunk holding <paramref name="lines"/>, numbered as git would number a hunk of just those lines.</summary>
    private static DiffHunk MakePiece(DiffHunk hunk, List<DiffLine> lines, int oldNext, int newNext)
    {
        var oldCount = 0;
        var newCount = 0;
        foreach (var line in lines)
        {
            if (line.OldLine > 0)
                oldCount++;
            if (line.NewLine > 0)
                newCount++;
        }

        // git writes an empty side's start as the line before the change.
        return new DiffHunk
        {
            OldStart = oldCount > 0 ? oldNext : Math.Max(0, oldNext - 1),
            OldCount = oldCount,
            NewStart = newCount > 0 ? newNext : Math.Max(0, newNext - 1),
            NewCount = newCount,
            Section = hunk.Section,
            Lines = lines.ToArray(),
        };
    }

    /// <summary>Shortens one line's text (keeping its start) so that the rendered line fits <paramref name="room"/> tokens.</summary>
    private (DiffLine Line, int Cost) CutLine(DiffLine line, int room)
    {
        // Binary search on the kept length: the longest prefix whose rendered line fits. The text is decoded once
        // (a parsed line decodes it from the diff on each read).
        var text = line.Text;
        int low = 0, high = text.Length;
        while (low < high)
        {
            var middle = low + ((high - low + 1) / 2);
            if (_counter.Count(ChunkRenderer.RenderLine(line with { Text = Prefix(text, middle) })) <= room)
                low = middle;
            else
                high = middle - 1;
        }

        var cut = line with { Text = Prefix(text, low) };
        return (cut, _counter.Count(ChunkRenderer.RenderLine(cut)));
    }

    // Never ends between the two halves of a surrogate pair.
    private static string Prefix(string text, int length) =>
        length > 0 && length < text.Length && char.IsHighSurrogate(text[length - 1]) ? text[..(length - 1)] : text[..length];

    /// <summary>Greedy packing of files and hunks into chunks, in diff order.</summary>
    private sealed class Packer(int budget)
    {
        private readonly List<List<(FileDiff File, List<DiffHunk> Hunks)>> _chunks = [];
        private List<(FileDiff File, List<DiffHunk> Hunks)>? _current;
        private int _used;

        // Each chunk's tokens as packed: the counted costs of its files and hunks plus headers and separators. A chunk
        // is never tokenised again as a whole (on a 50 MB diff that second pass was a third of a dry run).
        private readonly List<int> _costs = [];

        /// <summary>How many chunks so far hold part of <paramref name="file"/>.</summary>
        public int ChunksStartedFor(FileDiff file) =>
            _chunks.Count(chunk => chunk.Exists(entry => ReferenceEquals(entry.File, file)));

        /// <summary>
        /// Adds hunks of <paramref name="file"/> costing <paramref name="cost"/>; <paramref name="headerCost"/> is paid
        /// again only where the file does not already continue the current chunk.
        /// </summary>
        public void Add(FileDiff file, IReadOnlyList<DiffHunk> hunks, int cost, int headerCost)
        {
            var continues = _current is { Count: > 0 } && ReferenceEquals(_current[^1].File, file);
            var needed = continues ? cost : cost + headerCost + (_current is { Count: > 0 } ? FileSeparatorTokens : 0);
            if (_current is null || _used + needed > budget)
            {
                _current = [];
                _chunks.Add(_current);
                _used = 0;
                _costs.Add(0);
                continues = false;
                needed = cost + headerCost;
            }

            if (continues)
                _current[^1].Hunks.AddRange(hunks);
            else
                _current.Add((file, [.. hunks]));
            _used += needed;
            _costs[^1] += needed;
        }

        public List<DiffChunk> Finish()
        {
            var chunks = new List<DiffChunk>(_chunks.Count);
            for (var index = 0; index < _chunks.Count; index++)
            {
                // The text is rendered when first asked for (DiffChunk.Text): a dry run never renders it.
                var files = _chunks[index].ConvertAll(entry => PieceOf(entry.File, entry.Hunks));
                chunks.Add(new DiffChunk { Index = chunks.Count, Files = files, EstimatedTokens = _costs[index] });
            }

            return chunks;
        }

        private static FileDiff PieceOf(FileDiff file, List<DiffHunk> hunks)
        {
            if (hunks.Count == file.Hunks.Count && hunks.SequenceEqual(file.Hunks, ReferenceEqualityComparer.Instance))
                return file;
            var additions = 0;
            var deletions = 0;
            foreach (var line in hunks.SelectMany(h => h.Lines))
            {
                if (line.Kind == DiffLineKind.Added)
                    additions++;
                else if (line.Kind == DiffLineKind.Removed)
                    deletions++;
            }

            return file with { Hunks = hunks.ToArray(), Additions = additions, Deletions = deletions };
        }
    }
}
