using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CriticBot.Engine.Safety;

namespace CriticBot.Eval;

/// <summary>
/// Two runs side by side. A difference is called significant when the two bootstrap 95% intervals do not overlap
/// (conservative); for the catch rate on the cases both runs share, a paired bootstrap of the difference is also
/// given (significant when its 95% interval excludes 0).
/// </summary>
public static class EvalCompare
{
    public static string Compare(JsonObject a, JsonObject b, string nameA, string nameB)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"| Metric | A: {Cell(nameA)} | B: {Cell(nameB)} | B - A | Significant |\n|---|---|---|---:|---|\n");
        foreach (var definition in EvalResults.Metrics)
        {
            if (a["metrics"]?[definition.Name] is not JsonObject ma || b["metrics"]?[definition.Name] is not JsonObject mb)
            {
                continue;
            }

            var (va, vb) = (Value(ma["value"]), Value(mb["value"]));
            var delta = va is not null && vb is not null ? EvalReports.Format(JsonValue.Create(vb.Value - va.Value), definition.IsShare) : "n/a";
            var significant = Value(ma["low"]) is { } la && Value(ma["high"]) is { } ha && Value(mb["low"]) is { } lb && Value(mb["high"]) is { } hb
                ? (hb < la || lb > ha ? "yes (intervals do not overlap)" : "no")
                : "n/a";
            text.Append(CultureInfo.InvariantCulture,
                $"| {definition.Label} | {EvalReports.Format(ma["value"], definition.IsShare)} {EvalReports.Interval(ma, definition.IsShare)} | {EvalReports.Format(mb["value"], definition.IsShare)} {EvalReports.Interval(mb, definition.IsShare)} | {delta} | {significant} |\n");
        }

        if (Value(a["totals"]?["tokens"]) is { } tokensA && Value(b["totals"]?["tokens"]) is { } tokensB && tokensA > 0)
        {
            var change = (tokensB - tokensA) / tokensA;
            text.Append(CultureInfo.InvariantCulture,
                $"\nTokens (prompt + completion, all cases): A {tokensA:0}, B {tokensB:0}: B sends {Math.Abs(change):0.0%} {(change <= 0 ? "fewer" : "more")}.\n");
        }

        if (PairedCatchRate(a, b) is { Value: { } value, Low: { } low, High: { } high } paired)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"\nPaired bootstrap on {paired.Cases} shared cases: catch rate B - A = {EvalReports.Format(JsonValue.Create(value), true)} [{EvalReports.Format(JsonValue.Create(low), true)}, {EvalReports.Format(JsonValue.Create(high), true)}]: {(low > 0 || high < 0 ? "significant" : "not significant")}\n");
        }

        return text.ToString();
    }

    public static async Task<JsonObject> ReadAsync(string path, CancellationToken cancellationToken)
    {
        var node = JsonNode.Parse(await File.ReadAllTextAsync(path, cancellationToken));
        return node is JsonObject json && json["format"]?.GetValue<string>() == EvalResults.Format
            ? json
            : throw new JsonException($"'{path}' is not a results.json of criticbot eval (format {EvalResults.Format})");
    }

    private static MetricValue? PairedCatchRate(JsonObject a, JsonObject b)
    {
        static Dictionary<string, (int Caught, int Bugs)> Outcomes(JsonObject results) =>
            (results["cases"] as JsonArray ?? []).OfType<JsonObject>()
                .Where(c => c["error"] is null && c["id"] is not null)
                .GroupBy(c => c["id"]!.GetValue<string>())
                .ToDictionary(g => g.Key, g =>
                {
                    var bugs = (g.First()["bugs"] as JsonArray ?? []).OfType<JsonObject>().Where(x => x["caught"] is not null).ToList();
                    return (bugs.Count(x => x["caught"]!.GetValue<bool>()), bugs.Count);
                }, StringComparer.Ordinal);
        var (oa, ob) = (Outcomes(a), Outcomes(b));
        var shared = oa.Keys.Where(ob.ContainsKey).Where(k => oa[k].Bugs > 0 && oa[k].Bugs == ob[k].Bugs).Order(StringComparer.Ordinal).ToList();
        if (shared.Count == 0)
        {
            return null;
        }

        var bootstrap = new Bootstrap(shared.Count);
        return bootstrap.Estimate(indexes =>
        {
            double caughtA = 0, caughtB = 0, bugs = 0;
            foreach (var i in indexes)
            {
                caughtA += oa[shared[i]].Caught;
                caughtB += ob[shared[i]].Caught;
                bugs += oa[shared[i]].Bugs;
            }

            return bugs == 0 ? null : (caughtB - caughtA) / bugs;
        });
    }

    private static double? Value(JsonNode? node) => node is JsonValue v && v.TryGetValue<double>(out var d) ? d : null;

    private static string Cell(string text) => MarkdownText.TableCell(text);
}
