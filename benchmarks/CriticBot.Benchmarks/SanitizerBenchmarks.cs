using BenchmarkDotNet.Attributes;
using CriticBot.Engine.Safety;

namespace CriticBot.Benchmarks;

/// <summary>
/// The output sanitiser on comment bodies: parse with Markdig, write back, parse again to check. Every posted comment
/// goes through it once.
/// </summary>
/// <remarks>Run: <c>dotnet run -c Release --project benchmarks/CriticBot.Benchmarks -- --filter '*Sanitizer*'</c></remarks>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class SanitizerBenchmarks
{
    private const string Typical =
        "**Off by one:** the loop `for i in range(len(items) + 1)` reads past the end of `items`, so the last " +
        "iteration raises `IndexError`. See [the helper](https://github.com/octo/repo/blob/main/src/stats.py#L3) " +
        "and use `for item in items:` instead.\n\n```python\nfor item in items:\n    result += item\n```\n";

    private readonly OutputSanitizer _sanitizer = new("github.com", repository: "octo/repo");
    private string _long = "";
    private string _hostile = "";

    [GlobalSetup]
    public void Setup()
    {
        // A full-length body of ordinary Markdown, and one built to need many escapes (re-rendered shorter to fit).
        _long = string.Concat(Enumerable.Repeat(Typical + "\n- a list item with @someone and #12\n> a quote <b>x</b>\n\n", 12))[..OutputSanitizer.DefaultMaxLength];
        _hostile = string.Concat(Enumerable.Repeat("<&*_[@#1](//x)", 400))[..OutputSanitizer.DefaultMaxLength];
    }

    [Benchmark(Baseline = true)]
    public string TypicalComment() => _sanitizer.Sanitize(Typical);

    [Benchmark]
    public string FullLengthComment() => _sanitizer.Sanitize(_long);

    [Benchmark]
    public string HostileComment() => _sanitizer.Sanitize(_hostile);
}
