using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CriticBot.Engine.Diff;

namespace CriticBot.Eval;

public enum DatasetSource
{
    HumanEvalPack,
    DebugBench,
    Defects4J,
    Martian,
}

public sealed record ImportSettings
{
    public required DatasetSource Source { get; init; }
    public required string InputPath { get; init; }

    /// <summary>Clean control cases to add (at most one per record).</summary>
    public int Clean { get; init; }

    /// <summary>Martian: a folder of the pull requests' diffs, <c>REPO-NUMBER.diff</c> (e.g. <c>keycloak-greptile-1.diff</c>).</summary>
    public string? DiffsDirectory { get; init; }

    /// <summary>Martian: fetch diffs missing from <see cref="DiffsDirectory"/> from this GitHub API with this token.</summary>
    public string? GitHubToken { get; init; }

    public Uri GitHubApiUrl { get; init; } = new("https://api.github.com/");
}

/// <summary>What an import produced: the cases, and every record it skipped (with where and why).</summary>
public sealed record ImportResult(IReadOnlyList<EvalCase> Cases, IReadOnlyList<string> Problems);

/// <summary>
/// Turns public bug datasets into the JSONL case format. Every bug is a contiguous block of changed lines on the
/// buggy (new) side; clean controls are the same change the other way round (the fix: a correct change).
/// </summary>
public static class DatasetImporter
{
    public static async Task<ImportResult> ImportAsync(ImportSettings settings, HttpClient? http, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Source switch
        {
            DatasetSource.HumanEvalPack => await HumanEvalPackAsync(settings, cancellationToken),
            DatasetSource.DebugBench => await DebugBenchAsync(settings, cancellationToken),
            DatasetSource.Defects4J => await Defects4JAsync(settings, cancellationToken),
            _ => await MartianAsync(settings, http, cancellationToken),
        };
    }

    private static async Task<ImportResult> HumanEvalPackAsync(ImportSettings settings, CancellationToken cancellationToken)
    {
        var cases = new List<EvalCase>();
        var clean = new List<EvalCase>();
        var problems = new List<string>();
        var lines = await File.ReadAllLinesAsync(settings.InputPath, cancellationToken);
        for (var index = 0; index < lines.Length; index++)
        {
            var where = string.Create(CultureInfo.InvariantCulture, $"{settings.InputPath}:{index + 1}");
            if (string.IsNullOrWhiteSpace(lines[index]))
            {
                continue;
            }

            if (ParseObject(lines[index], where, problems) is not { } record)
            {
                continue;
            }

            var taskId = Text(record, "task_id");
            var declaration = Text(record, "declaration");
            var canonical = Text(record, "canonical_solution");
            var buggy = Text(record, "buggy_solution");
            if (taskId is null || declaration is null || canonical is null || buggy is null)
            {
                problems.Add($"{where}: needs task_id, declaration, canonical_solution and buggy_solution");
                continue;
            }

            var path = PathFor(taskId);
            var description = string.Join(": ", new[] { Text(record, "bug_type"), Text(record, "failure_symptoms") }.Where(t => !string.IsNullOrWhiteSpace(t)));
            var extra = new JsonObject { ["source"] = "humanevalpack", ["task_id"] = taskId };
            AddBuggy(cases, problems, where, taskId, path, declaration + canonical, declaration + buggy, description, extra);
            if (clean.Count < settings.Clean)
            {
                AddClean(clean, taskId, path, declaration + buggy, declaration + canonical, extra);
            }
        }

        return new ImportResult([.. cases, .. clean], problems);
    }

    private static async Task<ImportResult> DebugBenchAsync(ImportSettings settings, CancellationToken cancellationToken)
    {
        var cases = new List<EvalCase>();
        var clean = new List<EvalCase>();
        var problems = new List<string>();
        foreach (var file in FilesOf(settings.InputPath, "*.json"))
        {
            JsonArray? records = null;
            try
            {
                records = JsonNode.Parse(await File.ReadAllTextAsync(file, cancellationToken)) as JsonArray;
            }
            catch (JsonException ex)
            {
                problems.Add($"{file}: not JSON: {ex.Message.ReplaceLineEndings(" ")}");
                continue;
            }

            if (records is null)
            {
                problems.Add($"{file}: not a JSON array of records");
                continue;
            }

            var stem = Path.GetFileNameWithoutExtension(file);
            var extension = stem.Split('_')[0] switch
            {
                "python3" or "python" => "py",
                "cpp" => "cpp",
                "java" => "java",
                _ => "txt",
            };
            for (var index = 0; index < records.Count; index++)
            {
                var where = string.Create(CultureInfo.InvariantCulture, $"{file}: record {index + 1}");
                if (records[index] is not JsonObject record || Text(record, "slug") is not { Length: > 0 } slug
                    || Text(record, "oracle_code") is not { } oracle || Text(record, "buggy_code") is not { } buggy)
                {
                    problems.Add($"{where}: needs slug, oracle_code and buggy_code");
                    continue;
                }

                var id = $"debugbench/{stem}/{slug}";
                var path = $"{Slug(slug)}.{extension}";
                var extra = new JsonObject { ["source"] = "debugbench", ["category"] = stem, ["slug"] = slug };
                AddBuggy(cases, problems, where, id, path, oracle, buggy, Text(record, "explanations") ?? stem, extra);
                if (clean.Count < settings.Clean)
                {
                    AddClean(clean, id, path, buggy, oracle, extra);
                }
            }
        }

        return new ImportResult([.. cases, .. clean], problems);
    }

    private static async Task<ImportResult> Defects4JAsync(ImportSettings settings, CancellationToken cancellationToken)
    {
        var cases = new List<EvalCase>();
        var clean = new List<EvalCase>();
        var problems = new List<string>();
        foreach (var file in FilesOf(settings.InputPath, "*.patch"))
        {
            var text = (await File.ReadAllTextAsync(file, cancellationToken)).Replace("\r\n", "\n", StringComparison.Ordinal);
            var parsed = DiffParser.Parse(text);
            var name = Path.GetFileName(file);
            var id = "defects4j/" + (name.EndsWith(".src.patch", StringComparison.Ordinal) ? name[..^".src.patch".Length] : Path.GetFileNameWithoutExtension(name));
            if (parsed.Files.Count == 0)
            {
                problems.Add($"{file}: not a unified diff");
                continue;
            }

            var bugs = UnifiedDiffWriter.ChangedBlocks(parsed)
                .Select(b => new EvalBug { Path = b.Path, Line = b.Block.First, EndLine = b.Block.Last == b.Block.First ? null : b.Block.Last, Description = "the code Defects4J's fix changes here" })
                .ToList();
            var extra = new JsonObject { ["source"] = "defects4j", ["patch"] = name };
            cases.Add(new EvalCase { Id = id, Diff = text, Bugs = bugs, Source = extra });
            if (clean.Count < settings.Clean)
            {
                clean.Add(new EvalCase { Id = id + "/clean", Diff = UnifiedDiffWriter.Reverse(text), Bugs = [], Source = (JsonObject)extra.DeepClone() });
            }
        }

        return new ImportResult([.. cases, .. clean], problems);
    }

    private static async Task<ImportResult> MartianAsync(ImportSettings settings, HttpClient? http, CancellationToken cancellationToken)
    {
        var cases = new List<EvalCase>();
        var problems = new List<string>();
        var folder = Directory.Exists(Path.Combine(settings.InputPath, "golden_comments")) ? Path.Combine(settings.InputPath, "golden_comments") : settings.InputPath;
        foreach (var file in FilesOf(folder, "*.json"))
        {
            JsonArray? pulls;
            try
            {
                pulls = JsonNode.Parse(await File.ReadAllTextAsync(file, cancellationToken)) as JsonArray;
            }
            catch (JsonException ex)
            {
                problems.Add($"{file}: not JSON: {ex.Message.ReplaceLineEndings(" ")}");
                continue;
            }

            if (pulls is null)
            {
                problems.Add($"{file}: not a JSON array of pull requests");
                continue;
            }

            for (var index = 0; index < pulls.Count; index++)
            {
                var where = string.Create(CultureInfo.InvariantCulture, $"{file}: pull request {index + 1}");
                if (pulls[index] is not JsonObject pull || Text(pull, "url") is not { } url || !TryParsePullUrl(url, out var owner, out var repo, out var number))
                {
                    problems.Add($"{where}: needs a url of the form https://github.com/OWNER/REPO/pull/N");
                    continue;
                }

                var diff = await MartianDiffAsync(settings, http, owner, repo, number, cancellationToken);
                if (diff.Error is not null)
                {
                    problems.Add($"{where} ({url}): {diff.Error}");
                    continue;
                }

                var parsed = DiffParser.Parse(diff.Text!);
                var firstPath = parsed.Files.Count > 0 ? parsed.Files[0].Path : null;
                if (firstPath is null)
                {
                    problems.Add($"{where} ({url}): the diff holds no file");
                    continue;
                }

                // Golden comments have no file or line: they name the pull request's first file and are scored by the judge only.
                var bugs = (pull["comments"] as JsonArray ?? []).OfType<JsonObject>()
                    .Where(c => Text(c, "comment") is { Length: > 0 })
                    .Select(c => new EvalBug { Path = firstPath, Line = null, Description = Text(c, "comment")!, Severity = Text(c, "severity") })
                    .ToList();
                var extra = new JsonObject { ["source"] = "martian", ["url"] = url, ["pr_title"] = Text(pull, "pr_title"), ["project"] = Path.GetFileNameWithoutExtension(file) };
                cases.Add(new EvalCase { Id = string.Create(CultureInfo.InvariantCulture, $"martian/{repo}/{number}"), Diff = diff.Text!, Bugs = bugs, Source = extra });
            }
        }

        return new ImportResult(cases, problems);
    }

    private static async Task<(string? Text, string? Error)> MartianDiffAsync(ImportSettings settings, HttpClient? http, string owner, string repo, int number, CancellationToken cancellationToken)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"{repo}-{number}.diff");
        if (settings.DiffsDirectory is { } directory && File.Exists(Path.Combine(directory, name)))
        {
            return (await File.ReadAllTextAsync(Path.Combine(directory, name), cancellationToken), null);
        }

        if (settings.GitHubToken is not { Length: > 0 } token || http is null)
        {
            return (null, settings.DiffsDirectory is null
                ? "no diff: pass --diffs DIR holding it, or set GITHUB_TOKEN to fetch it"
                : $"no diff: '{name}' is not in {settings.DiffsDirectory} (set GITHUB_TOKEN to fetch it)");
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(settings.GitHubApiUrl, string.Create(CultureInfo.InvariantCulture, $"repos/{Uri.EscapeDataString(owner)}/{Uri.EscapeDataString(repo)}/pulls/{number}")));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/vnd.github.diff"));
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("criticbot-eval", "1"));
        try
        {
            using var response = await http.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return (null, string.Create(CultureInfo.InvariantCulture, $"GitHub answered {(int)response.StatusCode} for its diff"));
            }

            return (await response.Content.ReadAsStringAsync(cancellationToken), null);
        }
        catch (HttpRequestException ex)
        {
            return (null, $"could not fetch its diff: {ex.Message}");
        }
    }

    internal static bool TryParsePullUrl(string url, out string owner, out string repo, out int number)
    {
        (owner, repo, number) = ("", "", 0);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return false;
        }

        var parts = uri.AbsolutePath.Trim('/').Split('/');
        if (parts.Length < 4 || parts[2] != "pull" || !int.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out number) || number < 1)
        {
            return false;
        }

        (owner, repo) = (parts[0], parts[1]);
        return owner.Length > 0 && repo.Length > 0;
    }

    private static void AddBuggy(List<EvalCase> cases, List<string> problems, string where, string id, string path, string fixedText, string buggyText, string description, JsonObject extra)
    {
        var diff = UnifiedDiffWriter.Write(path, fixedText, buggyText);
        var blocks = UnifiedDiffWriter.ChangedBlocks(DiffParser.Parse(diff));
        if (blocks.Count == 0)
        {
            problems.Add($"{where}: the buggy and the correct code are the same");
            return;
        }

        cases.Add(new EvalCase
        {
            Id = id,
            Diff = diff,
            Bugs = [.. blocks.Select(b => new EvalBug { Path = b.Path, Line = b.Block.First, EndLine = b.Block.Last == b.Block.First ? null : b.Block.Last, Description = description })],
            Source = (JsonObject)extra.DeepClone(),
        });
    }

    private static void AddClean(List<EvalCase> clean, string id, string path, string buggyText, string fixedText, JsonObject extra)
    {
        var diff = UnifiedDiffWriter.Write(path, buggyText, fixedText);
        if (DiffParser.Parse(diff).Files.Count > 0 && diff.Contains("\n@@ ", StringComparison.Ordinal))
        {
            clean.Add(new EvalCase { Id = id + "/clean", Diff = diff, Bugs = [], Source = (JsonObject)extra.DeepClone() });
        }
    }

    private static IEnumerable<string> FilesOf(string path, string pattern) =>
        Directory.Exists(path) ? Directory.GetFiles(path, pattern).Order(StringComparer.Ordinal) : [path];

    private static JsonObject? ParseObject(string line, string where, List<string> problems)
    {
        try
        {
            if (JsonNode.Parse(line) is JsonObject json)
            {
                return json;
            }

            problems.Add($"{where}: not a JSON object");
        }
        catch (JsonException ex)
        {
            problems.Add($"{where}: not JSON: {ex.Message.ReplaceLineEndings(" ")}");
        }

        return null;
    }

    private static string? Text(JsonObject json, string name) =>
        json[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static string PathFor(string taskId)
    {
        var parts = taskId.Split('/');
        var extension = parts[0].ToLowerInvariant() switch
        {
            "python" => "py",
            "javascript" => "js",
            "java" => "java",
            "go" => "go",
            "cpp" => "cpp",
            "rust" => "rs",
            _ => "txt",
        };
        return $"{Slug(parts[0].ToLowerInvariant())}/{Slug(string.Join('_', parts.Skip(1)))}.{extension}";
    }

    private static string Slug(string text)
    {
        var builder = new StringBuilder();
        foreach (var c in text)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_');
        }

        return builder.Length == 0 ? "case" : builder.ToString();
    }
}
