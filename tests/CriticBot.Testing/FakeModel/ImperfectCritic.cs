using System.Text.Json;
using System.Text.Json.Nodes;

namespace CriticBot.Testing.FakeModel;

/// <summary>A problem the test planted in the diff, with where a good critic would point.</summary>
public sealed record PlantedFinding(string Path, string Quote, int Line, string Severity, string Body, int? EndLine = null);

/// <summary>The form an answer took.</summary>
public enum AnswerFormat
{
    PlainJson,
    FencedJson,
    ProseAroundJson,
}

/// <summary>One answer of an <see cref="ImperfectCritic"/>, with the truth behind it.</summary>
public sealed record CriticAnswer
{
    /// <summary>Planted findings reported, with the (possibly drifted) lines they were reported at.</summary>
    public required IReadOnlyList<PlantedFinding> Reported { get; init; }

    /// <summary>Findings whose quote is not in the prompt.</summary>
    public required IReadOnlyList<PlantedFinding> Hallucinated { get; init; }

    /// <summary>Low-value style remarks on real code.</summary>
    public required IReadOnlyList<PlantedFinding> Nits { get; init; }

    public required AnswerFormat Format { get; init; }
    public required bool Truncated { get; init; }
    public required string Text { get; init; }
}

/// <summary>
/// A realistic, imperfect critic built from findings the test planted: it misses some, drifts line numbers,
/// invents code that is not in the diff, adds nits, wraps its JSON in fences or prose and is sometimes cut off.
/// Deterministic for a seeded <see cref="Random"/> and a given order of requests. With every probability at 0 it
/// is a perfect critic. It never parses the prompt: it only checks whether its invented code occurs in it.
/// </summary>
public sealed class ImperfectCritic
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static readonly string[] DefaultInventedCode =
    [
        "if (user.IsAdmin) return true;",
        "var timeout = settings.Timeout ?? 0;",
        "catch (Exception) { }",
        "items.RemoveAt(items.Count);",
        "await Task.Delay(1000).ConfigureAwait(false);",
        "password = request.Query[\"password\"];",
    ];

    private static readonly string[] NitBodies =
    [
        "Consider a more descriptive name here.",
        "This could be written more concisely.",
        "Minor: the formatting here is inconsistent with the rest of the file.",
    ];

    private static readonly (string Before, string After)[] Prose =
    [
        ("I reviewed the diff carefully. Here is what I found:\n\n", "\n\nLet me know if you would like more detail on any of these."),
        ("Here is my critique of the change.\n", "\nOverall the change looks reasonable apart from the points above."),
        ("Sure! Below are the issues, in the requested JSON format:\n\n", ""),
    ];

    private readonly Random _random;
    private readonly Lock _gate = new();

    public ImperfectCritic(IEnumerable<PlantedFinding> findings, Random random)
    {
        ArgumentNullException.ThrowIfNull(findings);
        ArgumentNullException.ThrowIfNull(random);
        Findings = [.. findings];
        _random = random;
    }

    public IReadOnlyList<PlantedFinding> Findings { get; }

    /// <summary>Chance that a planted finding goes unreported (0.2: each is reported with probability 0.8).</summary>
    public double MissProbability { get; init; } = 0.2;

    /// <summary>Chance that a reported line is off, by 1 to <see cref="MaxLineDrift"/> either way.</summary>
    public double LineDriftProbability { get; init; } = 0.5;

    public int MaxLineDrift { get; init; } = 3;

    /// <summary>Chance of one extra finding quoting code that is not in the prompt.</summary>
    public double HallucinationProbability { get; init; } = 0.25;

    /// <summary>Chance of one extra nit on real code (from <see cref="NitTargets"/>, else a planted quote).</summary>
    public double NitProbability { get; init; } = 0.3;

    /// <summary>Chance of a ```json fence around the answer.</summary>
    public double FencedProbability { get; init; } = 0.25;

    /// <summary>Chance of prose before and after the answer (fenced).</summary>
    public double ProseProbability { get; init; } = 0.2;

    /// <summary>Chance the answer is cut off mid-JSON with finish_reason "length".</summary>
    public double TruncationProbability { get; init; } = 0.05;

    /// <summary>Real code from the diff a nit may pick on; empty means planted findings' quotes.</summary>
    public IReadOnlyList<PlantedFinding> NitTargets { get; init; } = [];

    /// <summary>Code lines to invent; one that occurs in the prompt is never used.</summary>
    public IReadOnlyList<string> InventedCode { get; init; } = DefaultInventedCode;

    /// <summary>A critic that reports every finding exactly, in plain JSON.</summary>
    public static ImperfectCritic Perfect(IEnumerable<PlantedFinding> findings) => new(findings, new Random(0))
    {
        MissProbability = 0,
        LineDriftProbability = 0,
        HallucinationProbability = 0,
        NitProbability = 0,
        FencedProbability = 0,
        ProseProbability = 0,
        TruncationProbability = 0,
    };

    /// <summary>Use as <see cref="FakeModelServer.Responder"/>.</summary>
    public FakeReply Respond(RecordedChatRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var answer = Answer(request.AllText);
        return new FakeReply { Content = answer.Text, FinishReason = answer.Truncated ? "length" : "stop" };
    }

    /// <summary>Compose the next answer to a prompt (its text is only searched for invented code).</summary>
    public CriticAnswer Answer(string promptText)
    {
        ArgumentNullException.ThrowIfNull(promptText);
        lock (_gate)
        {
            var reported = Findings.Where(_ => !Chance(MissProbability)).Select(Drift).ToList();
            var hallucinated = new List<PlantedFinding>();
            if (Chance(HallucinationProbability) && Invent(promptText) is { } invented)
                hallucinated.Add(invented);
            var nits = new List<PlantedFinding>();
            if (Chance(NitProbability) && Nit() is { } nit)
                nits.Add(nit);

            var comments = new JsonArray();
            foreach (var finding in reported.Concat(hallucinated).Concat(nits))
                comments.Add(ToJson(finding));
            var json = new JsonObject { ["comments"] = comments };

            var format = Chance(ProseProbability) ? AnswerFormat.ProseAroundJson
                : Chance(FencedProbability) ? AnswerFormat.FencedJson
                : AnswerFormat.PlainJson;
            var jsonText = json.ToJsonString(format == AnswerFormat.PlainJson ? null : Indented);
            var (before, after) = format switch
            {
                AnswerFormat.PlainJson => ("", ""),
                AnswerFormat.FencedJson => ("```json\n", "\n```"),
                _ => Surround(),
            };

            // Cut inside the JSON, as a model that runs out of tokens does.
            var truncated = Chance(TruncationProbability);
            var text = truncated
                ? before + jsonText[..(int)(jsonText.Length * (0.2 + (0.7 * _random.NextDouble())))]
                : before + jsonText + after;

            return new CriticAnswer
            {
                Reported = reported,
                Hallucinated = hallucinated,
                Nits = nits,
                Format = format,
                Truncated = truncated,
                Text = text,
            };
        }
    }

    private bool Chance(double probability) => _random.NextDouble() < probability;

    private PlantedFinding Drift(PlantedFinding finding)
    {
        var drifts = Chance(LineDriftProbability);
        var magnitude = _random.Next(1, Math.Max(1, MaxLineDrift) + 1);
        var sign = _random.Next(2) == 0 ? -1 : 1;
        if (!drifts || MaxLineDrift <= 0)
            return finding;
        var offset = Math.Max(sign * magnitude, 1 - finding.Line);
        return finding with { Line = finding.Line + offset, EndLine = finding.EndLine + offset };
    }

    private PlantedFinding? Invent(string promptText)
    {
        var candidates = InventedCode
            .Where(code => !promptText.Contains(code, StringComparison.Ordinal) && !Findings.Any(f => f.Quote.Contains(code, StringComparison.Ordinal)))
            .ToList();
        if (candidates.Count == 0)
            return null;
        var code = candidates[_random.Next(candidates.Count)];
        var path = Findings.Count > 0 ? Findings[_random.Next(Findings.Count)].Path : "src/Program.cs";
        return new PlantedFinding(path, code, _random.Next(1, 200), "bug", "This can fail at run time: the value is not checked before use.");
    }

    private PlantedFinding? Nit()
    {
        var targets = NitTargets.Count > 0 ? NitTargets : Findings;
        if (targets.Count == 0)
            return null;
        var target = targets[_random.Next(targets.Count)];
        return target with { Severity = "nit", Body = NitBodies[_random.Next(NitBodies.Length)] };
    }

    private (string Before, string After) Surround()
    {
        var (before, after) = Prose[_random.Next(Prose.Length)];
        return (before + "```json\n", "\n```" + after);
    }

    private static JsonObject ToJson(PlantedFinding finding)
    {
        var comment = new JsonObject { ["path"] = finding.Path, ["line"] = finding.Line };
        if (finding.EndLine is { } endLine)
            comment["end_line"] = endLine;
        comment["quote"] = finding.Quote;
        comment["severity"] = finding.Severity;
        comment["body"] = finding.Body;
        return comment;
    }
}
