using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace CriticBot.Eval;

/// <summary>
/// report.html (one self-contained page: no script, no external asset) and summary.md, both made from
/// results.json. Every text that came from a dataset or a model is HTML-escaped (or Markdown-neutralised).
/// </summary>
public static class EvalReports
{
    public static async Task WriteAsync(string directory, JsonObject results, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(results);
        Directory.CreateDirectory(directory);
        await WriteAtomicAsync(Path.Combine(directory, "results.json"), results.ToJsonString(EvalJson.Indented) + "\n", cancellationToken);
        await WriteAtomicAsync(Path.Combine(directory, "report.html"), Html(results), cancellationToken);
        await WriteAtomicAsync(Path.Combine(directory, "summary.md"), Markdown(results), cancellationToken);
    }

    private static async Task WriteAtomicAsync(string path, string text, CancellationToken cancellationToken)
    {
        var temporary = path + ".tmp";
        await File.WriteAllTextAsync(temporary, text, new UTF8Encoding(false), cancellationToken);
        File.Move(temporary, path, overwrite: true);
    }

    public static string Markdown(JsonObject results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var settings = results["settings"]!.AsObject();
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"## CriticBot eval: {Md(Str(settings["model"]))} on {Md(Path.GetFileName(Str(settings["dataset"])))}\n\n");
        if (results["partial"]?.GetValue<bool>() == true)
        {
            text.Append(CultureInfo.InvariantCulture, $"**Partial run** ({Md(Str(results["stop_reason"]))}): only the cases that finished are counted.\n\n");
        }

        var dataset = results["dataset"]!.AsObject();
        text.Append(CultureInfo.InvariantCulture, $"{Num(dataset["cases_scored"])} cases ({Num(dataset["clean_cases"])} clean), {Num(dataset["bugs_with_line"])} bugs with a line; samples {Num(settings["samples"])}{(settings["adaptive_sampling"]?.GetValue<bool>() == true ? " (adaptive)" : "")}, precision {Num(settings["precision"])}, tolerance ±{Num(settings["tolerance"])} lines. Intervals: bootstrap 95% over cases.\n\n");
        text.Append("| Metric | Value | 95% interval |\n|---|---:|---|\n");
        foreach (var (definition, metric) in PresentMetrics(results))
        {
            text.Append(CultureInfo.InvariantCulture, $"| {definition.Label} | {Format(metric["value"], definition.IsShare)} | {Interval(metric, definition.IsShare)} |\n");
        }

        if (results["sweep"] is JsonArray sweep)
        {
            text.Append("\n| Precision | Catch rate | False alarms per clean case | Nits per case | Comments per case |\n|---:|---:|---:|---:|---:|\n");
            foreach (var point in sweep.OfType<JsonObject>())
            {
                text.Append(CultureInfo.InvariantCulture, $"| {Num(point["precision"])} | {Format(point["catch_rate"]!["value"], true)} | {Format(point["false_alarms_per_clean_case"]!["value"], false)} | {Format(point["nits_per_case"]!["value"], false)} | {Format(point["comments_per_case"]!["value"], false)} |\n");
            }
        }

        return text.ToString();
    }

    public static string Html(JsonObject results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var settings = results["settings"]!.AsObject();
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">");
        html.Append(CultureInfo.InvariantCulture, $"<title>CriticBot eval: {H(Str(settings["model"]))}</title>");
        html.Append("<style>body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}")
            .Append("td.n{text-align:right}pre{background:#f6f8fa;padding:8px;overflow:auto;font-size:12px}.add{color:#116329}.del{color:#82071e}")
            .Append(".caught{color:#116329;font-weight:bold}.missed{color:#82071e;font-weight:bold}details{margin:6px 0;border:1px solid #ddd;padding:4px 8px}.warn{background:#fff3cd;padding:8px}</style></head><body>\n");
        html.Append(CultureInfo.InvariantCulture, $"<h1>CriticBot eval: {H(Str(settings["model"]))}</h1>\n");
        if (results["partial"]?.GetValue<bool>() == true)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"warn\">Partial run ({H(Str(results["stop_reason"]))}): only the cases that finished are counted.</p>\n");
        }

        html.Append("<h2>Settings</h2><table>");
        foreach (var (name, value) in settings)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><th>{H(name)}</th><td>{H(value?.ToJsonString() ?? "null")}</td></tr>");
        }

        html.Append("</table>\n<h2>Summary</h2><table><tr><th>Metric</th><th>Value</th><th>95% interval</th></tr>");
        foreach (var (definition, metric) in PresentMetrics(results))
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{H(definition.Label)}</td><td class=\"n\">{H(Format(metric["value"], definition.IsShare))}</td><td>{H(Interval(metric, definition.IsShare))}</td></tr>");
        }

        html.Append("</table>\n");
        if (results["totals"] is JsonObject totals)
        {
            html.Append("<p>Totals: ");
            html.Append(H(string.Join(", ", totals.Select(t => $"{t.Key} {t.Value?.ToJsonString()}"))));
            html.Append("</p>\n");
        }

        if (results["sweep"] is JsonArray sweep)
        {
            html.Append("<h2>Precision sweep</h2>\n");
            html.Append(Curve(sweep, "false_alarms_per_clean_case", "False alarms per clean case"));
            html.Append(Curve(sweep, "nits_per_case", "Nits per case"));
            html.Append("<table><tr><th>Precision</th><th>Catch rate</th><th>False alarms per clean case</th><th>Nits per case</th><th>Comments per case</th></tr>");
            foreach (var point in sweep.OfType<JsonObject>())
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><td class=\"n\">{H(Num(point["precision"]))}</td><td class=\"n\">{H(Format(point["catch_rate"]!["value"], true))}</td><td class=\"n\">{H(Format(point["false_alarms_per_clean_case"]!["value"], false))}</td><td class=\"n\">{H(Format(point["nits_per_case"]!["value"], false))}</td><td class=\"n\">{H(Format(point["comments_per_case"]!["value"], false))}</td></tr>");
            }

            html.Append("</table>\n");
        }

        if (results["dataset"]?["skipped_lines"] is JsonArray { Count: > 0 } skipped)
        {
            html.Append("<h2>Dataset lines skipped</h2><ul>");
            foreach (var problem in skipped.OfType<JsonObject>())
            {
                html.Append(CultureInfo.InvariantCulture, $"<li>line {H(Num(problem["line"]))}: {H(Str(problem["message"]))}</li>");
            }

            html.Append("</ul>\n");
        }

        html.Append("<h2>Cases</h2>\n");
        foreach (var evalCase in (results["cases"] as JsonArray ?? []).OfType<JsonObject>())
        {
            AppendCase(html, evalCase);
        }

        html.Append("</body></html>\n");
        return html.ToString();
    }

    private static void AppendCase(StringBuilder html, JsonObject evalCase)
    {
        var bugs = (evalCase["bugs"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var caught = bugs.Count(b => b["caught"]?.GetValue<bool>() == true);
        var withLine = bugs.Count(b => b["caught"] is not null);
        var comments = (evalCase["comments"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var summary = evalCase["error"] is not null ? $"failed: {Str(evalCase["error"])}"
            : evalCase["clean"]?.GetValue<bool>() == true ? $"clean, {comments.Count} comments"
            : $"{caught}/{withLine} bugs caught, {comments.Count} comments";
        html.Append(CultureInfo.InvariantCulture, $"<details><summary><b>{H(Str(evalCase["id"]))}</b>: {H(summary)}</summary>\n");
        if (bugs.Count > 0)
        {
            html.Append("<h4>Known bugs</h4><ul>");
            foreach (var bug in bugs)
            {
                var state = bug["caught"] is null ? "<span>judge only</span>" : bug["caught"]!.GetValue<bool>() ? "<span class=\"caught\">caught</span>" : "<span class=\"missed\">missed</span>";
                var judged = bug["judge_matched"] is JsonValue j ? (j.GetValue<bool>() ? " (judge: described)" : " (judge: not described)") : "";
                html.Append(CultureInfo.InvariantCulture, $"<li>{state}{H(judged)} {H(Str(bug["path"]))}:{H(Num(bug["line"]))}{(bug["end_line"] is null ? "" : "-" + H(Num(bug["end_line"])))}: {H(Str(bug["description"]))}</li>");
            }

            html.Append("</ul>");
        }

        html.Append("<h4>Comments kept</h4>");
        html.Append(comments.Count == 0 ? "<p>none</p>" : "<ul>");
        foreach (var comment in comments)
        {
            html.Append(CultureInfo.InvariantCulture, $"<li>[{H(Str(comment["severity"]))}, score {H(Num(comment["score"]))}, support {H(Num(comment["support"]))}] {H(Str(comment["path"]))}:{H(Num(comment["start_line"]))}-{H(Num(comment["line"]))}: {H(Str(comment["body"]))}</li>");
        }

        html.Append(comments.Count == 0 ? "" : "</ul>");
        var dropped = (evalCase["dropped"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        if (dropped.Count > 0)
        {
            html.Append("<h4>Dropped</h4><ul>");
            foreach (var item in dropped)
            {
                html.Append(CultureInfo.InvariantCulture, $"<li>{H(Str(item["reason_code"]))} ({H(Str(item["reason"]))}): [{H(Str(item["severity"]))}] {H(Str(item["path"]))}:{H(Num(item["line"]))} <code>{H(Str(item["quote"]))}</code> {H(Str(item["body"]))}</li>");
            }

            html.Append("</ul>");
        }

        html.Append("<h4>Diff</h4><pre>");
        foreach (var line in Str(evalCase["diff"]).Split('\n'))
        {
            var css = line.StartsWith('+') && !line.StartsWith("+++", StringComparison.Ordinal) ? "add" : line.StartsWith('-') && !line.StartsWith("---", StringComparison.Ordinal) ? "del" : null;
            html.Append(css is null ? H(line) : $"<span class=\"{css}\">{H(line)}</span>").Append('\n');
        }

        html.Append("</pre></details>\n");
    }

    /// <summary>Catch rate (y) against another sweep metric (x), one point per precision, as inline SVG.</summary>
    private static string Curve(JsonArray sweep, string xMetric, string xLabel)
    {
        var points = sweep.OfType<JsonObject>()
            .Select(p => (Precision: p["precision"]!.GetValue<double>(), X: p[xMetric]?["value"]?.GetValue<double>(), Y: p["catch_rate"]?["value"]?.GetValue<double>()))
            .Where(p => p.X is not null && p.Y is not null)
            .Select(p => (p.Precision, X: p.X!.Value, Y: p.Y!.Value))
            .ToList();
        const double width = 420, height = 260, left = 50, bottom = 40, top = 20, right = 20;
        var maxX = Math.Max(1e-9, points.Count == 0 ? 1 : points.Max(p => p.X));
        string Px(double x) => (left + (x / maxX * (width - left - right))).ToString("0.#", CultureInfo.InvariantCulture);
        string Py(double y) => (height - bottom - (y * (height - top - bottom))).ToString("0.#", CultureInfo.InvariantCulture);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" role=\"img\" aria-label=\"Catch rate against {WebUtility.HtmlEncode(xLabel)}\">");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{height - bottom}\" x2=\"{width - right}\" y2=\"{height - bottom}\" stroke=\"#333\"/><line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{height - bottom}\" stroke=\"#333\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"{height - 8}\" font-size=\"12\">{WebUtility.HtmlEncode(xLabel)} (0 to {maxX.ToString("0.##", CultureInfo.InvariantCulture)})</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"{top - 6}\" font-size=\"12\">Catch rate (0 to 100%)</text>");
        if (points.Count > 0)
        {
            svg.Append("<polyline fill=\"none\" stroke=\"#0969da\" stroke-width=\"2\" points=\"")
                .Append(string.Join(' ', points.Select(p => $"{Px(p.X)},{Py(p.Y)}"))).Append("\"/>");
            foreach (var p in points)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{Px(p.X)}\" cy=\"{Py(p.Y)}\" r=\"3\" fill=\"#0969da\"><title>precision {p.Precision.ToString("0.##", CultureInfo.InvariantCulture)}</title></circle>");
            }
        }

        svg.Append("</svg>\n");
        return svg.ToString();
    }

    internal static IEnumerable<(MetricDefinition Definition, JsonObject Metric)> PresentMetrics(JsonObject results) =>
        EvalResults.Metrics
            .Where(d => results["metrics"]?[d.Name] is JsonObject)
            .Select(d => (d, results["metrics"]![d.Name]!.AsObject()));

    internal static string Format(JsonNode? value, bool share) => value is JsonValue v && v.TryGetValue<double>(out var number)
        ? share ? (number * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : number.ToString(Math.Abs(number) >= 1 || number == 0 ? "0.###" : "0.######", CultureInfo.InvariantCulture)
        : "n/a";

    internal static string Interval(JsonObject metric, bool share) => metric["low"] is null ? "n/a" : $"[{Format(metric["low"], share)}, {Format(metric["high"], share)}]";

    private static string Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : node?.ToJsonString() ?? "";

    private static string Num(JsonNode? node) => node?.ToJsonString() ?? "";

    private static string H(string text) => WebUtility.HtmlEncode(text);

    /// <summary>Markdown table cells: no pipes, no line breaks, no HTML.</summary>
    private static string Md(string text) => WebUtility.HtmlEncode(text.ReplaceLineEndings(" ")).Replace("|", "\\|", StringComparison.Ordinal);
}
