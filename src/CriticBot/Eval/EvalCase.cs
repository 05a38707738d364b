using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CriticBot.Engine.Diff;

namespace CriticBot.Eval;

/// <summary>
/// A known bug of a case: <see cref="Line"/> (to <see cref="EndLine"/>) on the new side of <see cref="Path"/>;
/// no line for a bug only a judge can score (Martian's golden comments).
/// </summary>
public sealed record EvalBug
{
    public required string Path { get; init; }
    public int? Line { get; init; }

    /// <summary>The last line of a bug that spans several lines (an optional field added to the format); null means <see cref="Line"/>.</summary>
    public int? EndLine { get; init; }

    public required string Description { get; init; }
    public string? Severity { get; init; }

    public int LastLine => EndLine ?? Line ?? 0;
}

/// <summary>One line of the dataset: a diff and the bugs in it (none for a clean control case).</summary>
public sealed record EvalCase
{
    public required string Id { get; init; }
    public required string Diff { get; init; }
    public required IReadOnlyList<EvalBug> Bugs { get; init; }

    /// <summary>The line as read, extra fields included (they are kept when a dataset is rewritten).</summary>
    public JsonObject? Source { get; init; }

    public bool IsClean => Bugs.Count == 0;

    /// <summary>The JSONL line: the extra fields of <see cref="Source"/> kept, the known ones written from this record.</summary>
    public string ToJsonLine()
    {
        var json = Source?.DeepClone() as JsonObject ?? [];
        json["id"] = Id;
        json["diff"] = Diff;
        var bugs = new JsonArray();
        foreach (var bug in Bugs)
        {
            var item = new JsonObject { ["path"] = bug.Path, ["line"] = bug.Line };
            if (bug.EndLine is { } end && end != bug.Line)
            {
                item["end_line"] = end;
            }

            item["description"] = bug.Description;
            if (bug.Severity is not null)
            {
                item["severity"] = bug.Severity;
            }

            bugs.Add(item);
        }

        json["bugs"] = bugs;
        return json.ToJsonString(EvalJson.Compact);
    }
}

/// <summary>A line of the dataset that could not be used, and why.</summary>
public sealed record DatasetProblem(int LineNumber, string Message)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"line {LineNumber}: {Message}");
}

public sealed record Dataset(IReadOnlyList<EvalCase> Cases, IReadOnlyList<DatasetProblem> Problems);

internal static class EvalJson
{
    public static readonly JsonSerializerOptions Compact = new() { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}

/// <summary>Reads the JSONL case format; a bad line is reported with its number and skipped, never fatal.</summary>
public static class DatasetReader
{
    public static async Task<Dataset> ReadFileAsync(string path, CancellationToken cancellationToken)
    {
        var text = await File.ReadAllTextAsync(path, Encoding.UTF8, cancellationToken);
        return Read(text);
    }

    public static Dataset Read(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var cases = new List<EvalCase>();
        var problems = new List<DatasetProblem>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var lines = text.Split('\n');
        for (var index = 0; index < lines.Length; index++)
        {
            var line = lines[index].TrimEnd('\r').Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var (evalCase, error) = ParseLine(line);
            if (evalCase is not null && !ids.Add(evalCase.Id))
            {
                error = $"the id '{evalCase.Id}' was already used";
            }

            if (error is not null)
            {
                problems.Add(new DatasetProblem(index + 1, error));
            }
            else
            {
                cases.Add(evalCase!);
            }
        }

        return new Dataset(cases, problems);
    }

    internal static (EvalCase? Case, string? Error) ParseLine(string line)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(line);
        }
        catch (JsonException ex)
        {
            return (null, $"not JSON: {ex.Message.ReplaceLineEndings(" ")}");
        }

        if (node is not JsonObject json)
        {
            return (null, "not a JSON object");
        }

        if (StringOf(json["id"]) is not { Length: > 0 } id)
        {
            return (null, "no \"id\" (a non-empty string)");
        }

        if (StringOf(json["diff"]) is not { } diffText || string.IsNullOrWhiteSpace(diffText))
        {
            return (null, $"case '{id}' has no \"diff\"");
        }

        var diff = DiffParser.Parse(diffText);
        if (diff.Files.Count == 0)
        {
            return (null, $"case '{id}': \"diff\" is not a unified diff (no file header)");
        }

        var bugs = new List<EvalBug>();
        switch (json["bugs"])
        {
            case null:
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var (bug, bugError) = ParseBug(array[i], diff);
                    if (bugError is not null)
                    {
                        return (null, $"case '{id}', bug {i + 1}: {bugError}");
                    }

                    bugs.Add(bug!);
                }

                break;
            default:
                return (null, $"case '{id}': \"bugs\" is not an array");
        }

        return (new EvalCase { Id = id, Diff = diffText, Bugs = bugs, Source = json }, null);
    }

    private static (EvalBug? Bug, string? Error) ParseBug(JsonNode? node, ParsedDiff diff)
    {
        if (node is not JsonObject json)
        {
            return (null, "not a JSON object");
        }

        if (StringOf(json["path"]) is not { Length: > 0 } path)
        {
            return (null, "no \"path\"");
        }

        var description = StringOf(json["description"]) ?? "";
        var line = IntOf(json["line"], out var lineBad);
        var endLine = IntOf(json["end_line"], out var endBad);
        if (lineBad || endBad || line is < 1 || endLine is < 1 || (endLine is not null && (line is null || endLine < line)))
        {
            return (null, "\"line\" and \"end_line\" must be whole numbers from 1 (end_line not before line)");
        }

        var file = diff.Files.FirstOrDefault(f => f.Path == path);
        if (file is null)
        {
            return (null, $"the file '{path}' is not in the diff");
        }

        if (line is { } first)
        {
            var last = endLine ?? first;
            var visible = file.Hunks.SelectMany(h => h.Lines).Where(l => l.Kind != DiffLineKind.Removed).Select(l => l.NewLine);
            if (!visible.Any(n => n >= first && n <= last))
            {
                return (null, string.Create(CultureInfo.InvariantCulture, $"line {first} of '{path}' is outside the diff (not a new-side line of any hunk)"));
            }
        }

        return (new EvalBug { Path = path, Line = line, EndLine = endLine, Description = description, Severity = StringOf(json["severity"]) }, null);
    }

    private static string? StringOf(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static int? IntOf(JsonNode? node, out bool bad)
    {
        bad = false;
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<int>(out var number))
        {
            return number;
        }

        if (node is JsonValue d && d.GetValueKind() == JsonValueKind.Number && d.TryGetValue<double>(out var real) && real == Math.Floor(real) && real is >= 1 and <= int.MaxValue)
        {
            return (int)real;
        }

        bad = true;
        return null;
    }
}
