using System.Text;
using BenchmarkDotNet.Attributes;
using CriticBot.Engine.Diff;

namespace CriticBot.Benchmarks;

/// <summary>Parsing a 50+ MB diff from a string and from UTF-8 bytes, and answering comment-anchoring questions.</summary>
/// <remarks>Run: <c>dotnet run -c Release --project benchmarks/CriticBot.Benchmarks -- --filter '*DiffParsing*'</c></remarks>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class DiffParsingBenchmarks
{
    private const int TargetBytes = 52 * 1024 * 1024;
    private const int Queries = 1000;

    private string _text = "";
    private byte[] _utf8 = [];
    private ParsedDiff _parsed = ParsedDiff.Empty;
    private (string Path, int Line, DiffSide Side)[] _queries = [];

    [GlobalSetup]
    public void Setup()
    {
        _text = SyntheticDiff.Generate(TargetBytes);
        _utf8 = Encoding.UTF8.GetBytes(_text);
        _parsed = DiffParser.Parse(_text);
        if (_parsed.Warnings.Count > 0)
            throw new InvalidOperationException("the synthetic diff should parse cleanly: " + _parsed.Warnings[0]);

        // Half the queries hit a line in a hunk, half miss (a line past the hunk, or the other side).
        var random = new Random(7);
        _queries = new (string, int, DiffSide)[Queries];
        for (var i = 0; i < Queries; i++)
        {
            var file = _parsed.Files[random.Next(_parsed.Files.Count)];
            var hunk = file.Hunks[random.Next(file.Hunks.Count)];
            var line = hunk.Lines[random.Next(hunk.Lines.Count)];
            var side = random.Next(2) == 0 ? DiffSide.Right : DiffSide.Left;
            var number = line.LineOn(side) > 0 ? line.LineOn(side) : hunk.NewStart + hunk.NewCount + 3;
            _queries[i] = (file.Path, number, side);
        }

        Console.WriteLine($"// synthetic diff: {_utf8.Length / (1024.0 * 1024):F1} MiB UTF-8, {_parsed.Files.Count} files, " +
            $"{_parsed.Files.Sum(f => f.Hunks.Count)} hunks, {_parsed.Files.Sum(f => f.Hunks.Sum(h => h.Lines.Count))} lines");
    }

    [Benchmark]
    public int ParseString() => DiffParser.Parse(_text).Files.Count;

    [Benchmark]
    public int ParseBytes() => DiffParser.Parse(_utf8).Files.Count;

    [Benchmark]
    public int BuildIndexAndQuery()
    {
        var index = new DiffIndex(_parsed);
        var hits = 0;
        foreach (var (path, line, side) in _queries)
        {
            if (index.IsCommentable(path, line, side))
                hits++;
            if (index.CanSpan(path, line - 1, line, side))
                hits++;
        }

        return hits;
    }
}
