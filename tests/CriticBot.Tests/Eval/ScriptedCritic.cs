using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CriticBot.Testing.FakeModel;

namespace CriticBot.Tests.Eval;

/// <summary>One highlight the scripted critic writes.</summary>
public sealed record ScriptedHighlight(string Path, int Line, string Quote, string Severity, string Body);

/// <summary>
/// A critic with known behaviour for the fake model server: for each file (the case is known by the file its
/// prompt shows), the answer of its n-th sample is scripted: which bugs it reports, at which (possibly wrong) line,
/// which invented code (hallucinations) and which nits. Judge requests are answered from a scripted verdict.
/// Requests beyond the script get an empty critique.
/// </summary>
public sealed partial class ScriptedCritic
{
    private readonly Dictionary<string, IReadOnlyList<IReadOnlyList<ScriptedHighlight>>> _script;
    private readonly Dictionary<string, int> _served = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public ScriptedCritic(Dictionary<string, IReadOnlyList<IReadOnlyList<ScriptedHighlight>>> script)
    {
        _script = script;
    }

    /// <summary>Called with the file of every critic request before it is answered (e.g. to interrupt a run).</summary>
    public Action<string>? OnRequest { get; init; }

    /// <summary>Whether the judge says a comment body describes a bug description.</summary>
    public Func<string, string, bool> JudgeSays { get; init; } = (_, _) => false;

    public FakeReply Respond(RecordedChatRequest request)
    {
        var system = request.Messages.FirstOrDefault(m => m.Role == "system")?.Content ?? "";
        var user = request.Messages.LastOrDefault(m => m.Role == "user")?.Content ?? "";
        if (system.StartsWith("You grade a code review", StringComparison.Ordinal))
        {
            var bug = Between(user, "<<<KNOWN-BUG>>>\n", "<<<END-KNOWN-BUG>>>");
            var comment = Between(user, "<<<REVIEW-COMMENT>>>\n", "<<<END-REVIEW-COMMENT>>>");
            return FakeReply.Text(JudgeSays(bug, comment) ? """{"same_issue": true}""" : """{"same_issue": false}""");
        }

        var file = FileHeader().Match(user).Groups[1].Value;
        OnRequest?.Invoke(file);
        int sample;
        lock (_gate)
        {
            sample = _served.GetValueOrDefault(file);
            _served[file] = sample + 1;
        }

        var highlights = _script.TryGetValue(file, out var samples) && sample < samples.Count ? samples[sample] : [];
        var comments = new JsonArray([.. highlights.Select(h => (JsonNode)new JsonObject
        {
            ["path"] = h.Path,
            ["line"] = h.Line,
            ["end_line"] = h.Line,
            ["quote"] = h.Quote,
            ["severity"] = h.Severity,
            ["body"] = h.Body,
        })]);
        return FakeReply.Text(new JsonObject { ["comments"] = comments }.ToJsonString());
    }

    private static string Between(string text, string start, string end)
    {
        var from = text.IndexOf(start, StringComparison.Ordinal);
        var to = text.IndexOf(end, StringComparison.Ordinal);
        return from < 0 || to < from ? "" : text[(from + start.Length)..to];
    }

    [GeneratedRegex(@"### FILE: (\S+)")]
    private static partial Regex FileHeader();
}
