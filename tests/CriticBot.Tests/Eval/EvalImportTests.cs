using System.Net;
using System.Text.Json.Nodes;
using CriticBot.Commands;
using CriticBot.Eval;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CriticBot.Tests.Eval;

/// <summary>`criticbot eval import` on hand-written records in each source's own format.</summary>
public sealed class EvalImportTests : IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "criticbot-import-" + Guid.NewGuid().ToString("N"));

    public EvalImportTests() => Directory.CreateDirectory(_work);

    public void Dispose() => Directory.Delete(_work, recursive: true);

    private static async Task<(int Exit, string Out, string Err)> CliAsync(Dictionary<string, string?>? environment, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await CriticBotCli.RunAsync(["eval", "import", .. args], stdout, stderr, new StringReader(""), environment ?? []);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static List<JsonObject> ReadCases(string path) =>
        [.. File.ReadAllLines(path).Select(l => JsonNode.Parse(l)!.AsObject())];

    [Fact]
    public async Task HumanEvalPack_becomes_correct_to_buggy_diffs_with_the_changed_lines_as_the_bug()
    {
        var input = Path.Combine(_work, "python.jsonl");
        await File.WriteAllLinesAsync(input,
        [
            """{"task_id":"Python/7","declaration":"def add(a, b):\n","canonical_solution":"    total = a + b\n    return total\n","buggy_solution":"    total = a - b\n    return total\n","bug_type":"operator misuse","failure_symptoms":"incorrect output","test":"assert add(1, 2) == 3"}""",
            "not json at all",
            """{"task_id":"Python/8","declaration":"def one():\n","canonical_solution":"    return 1\n","buggy_solution":"    return 1\n","bug_type":"none"}""",
        ]);
        var output = Path.Combine(_work, "out", "he.jsonl");
        var (exit, stdout, stderr) = await CliAsync(null, "--from", "humanevalpack", "--input", input, "--out", output, "--clean", "1");

        Assert.True(exit == ExitCodes.Success, stderr);
        Assert.Contains($"{input}:2: not JSON", stderr, StringComparison.Ordinal);
        Assert.Contains($"{input}:3: the buggy and the correct code are the same", stderr, StringComparison.Ordinal);
        Assert.Contains("Wrote 2 cases (1 clean)", stdout, StringComparison.Ordinal);
        var cases = ReadCases(output);
        Assert.Equal("Python/7", cases[0]["id"]!.GetValue<string>());
        Assert.Equal(
            "diff --git a/python/7.py b/python/7.py\n--- a/python/7.py\n+++ b/python/7.py\n@@ -1,3 +1,3 @@\n def add(a, b):\n-    total = a + b\n+    total = a - b\n     return total\n",
            cases[0]["diff"]!.GetValue<string>());
        var bug = cases[0]["bugs"]!.AsArray().Single()!.AsObject();
        Assert.Equal("python/7.py", bug["path"]!.GetValue<string>());
        Assert.Equal(2, bug["line"]!.GetValue<int>());
        Assert.Equal("operator misuse: incorrect output", bug["description"]!.GetValue<string>());

        // The clean control is the fix: the same lines the other way round, no bug.
        Assert.Equal("Python/7/clean", cases[1]["id"]!.GetValue<string>());
        Assert.Empty(cases[1]["bugs"]!.AsArray());
        Assert.Contains("-    total = a - b\n+    total = a + b\n", cases[1]["diff"]!.GetValue<string>(), StringComparison.Ordinal);

        // What import writes, eval reads.
        Assert.Empty(DatasetReader.Read(await File.ReadAllTextAsync(output)).Problems);
    }

    [Fact]
    public async Task DebugBench_becomes_oracle_to_buggy_diffs_described_by_the_explanation()
    {
        var input = Path.Combine(_work, "python3_misused == or =.json");
        await File.WriteAllTextAsync(input, """
            [
             {"slug": "is-one", "description": "Return whether a is one.", "examples": [], "constraints": "", "release_time": 1,
              "oracle_code": "class Solution:\n    def f(self, a):\n        return a == 1\n",
              "buggy_code": "class Solution:\n    def f(self, a):\n        return a = 1\n",
              "explanations": "\nused = instead of ==\n", "level": "easy", "content": ""},
             {"slug": "broken"}
            ]
            """);
        var output = Path.Combine(_work, "db.jsonl");
        var (exit, _, stderr) = await CliAsync(null, "--from", "debugbench", "--input", input, "--out", output);

        Assert.True(exit == ExitCodes.Success, stderr);
        Assert.Contains("record 2: needs slug, oracle_code and buggy_code", stderr, StringComparison.Ordinal);
        var only = Assert.Single(ReadCases(output));
        Assert.Equal("debugbench/python3_misused == or =/is-one", only["id"]!.GetValue<string>());
        Assert.Contains("-        return a == 1\n+        return a = 1\n", only["diff"]!.GetValue<string>(), StringComparison.Ordinal);
        var bug = only["bugs"]!.AsArray().Single()!.AsObject();
        Assert.Equal("is-one.py", bug["path"]!.GetValue<string>());
        Assert.Equal(3, bug["line"]!.GetValue<int>());
        Assert.Contains("used = instead of ==", bug["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("debugbench", only["source"]!.GetValue<string>());
    }

    [Fact]
    public async Task Defects4J_patches_keep_their_diff_and_a_pure_deletion_is_a_bug_at_the_line_after_it()
    {
        var folder = Path.Combine(_work, "patches");
        Directory.CreateDirectory(folder);
        const string patch =
            "diff --git a/src/Foo.java b/src/Foo.java\nindex 1111111..2222222 100644\n--- a/src/Foo.java\n+++ b/src/Foo.java\n" +
            "@@ -10,6 +10,3 @@ class Foo {\n     int size(List<String> items) {\n-        if (items == null) {\n-            return 0;\n-        }\n         return items.size();\n     }\n" +
            "@@ -30,3 +27,3 @@ class Foo {\n     int last(int[] xs) {\n-        return xs[xs.length - 1];\n+        return xs[xs.length];\n     }\n";
        await File.WriteAllTextAsync(Path.Combine(folder, "Foo-1.src.patch"), patch);
        await File.WriteAllTextAsync(Path.Combine(folder, "Bad-2.src.patch"), "this is not a patch\n");
        var output = Path.Combine(_work, "d4j.jsonl");
        var (exit, _, stderr) = await CliAsync(null, "--from", "defects4j", "--input", folder, "--out", output, "--clean", "1");

        Assert.True(exit == ExitCodes.Success, stderr);
        Assert.Contains("Bad-2.src.patch: not a unified diff", stderr, StringComparison.Ordinal);
        var cases = ReadCases(output);
        Assert.Equal("defects4j/Foo-1", cases[0]["id"]!.GetValue<string>());
        Assert.Equal(patch, cases[0]["diff"]!.GetValue<string>());
        Assert.Equal([11, 28], cases[0]["bugs"]!.AsArray().Select(b => b!["line"]!.GetValue<int>()));
        Assert.All(cases[0]["bugs"]!.AsArray(), b => Assert.Equal("src/Foo.java", b!["path"]!.GetValue<string>()));

        // The clean control is the fix (the patch reversed).
        Assert.Equal("defects4j/Foo-1/clean", cases[1]["id"]!.GetValue<string>());
        Assert.Empty(cases[1]["bugs"]!.AsArray());
        Assert.Contains("@@ -10,3 +10,6 @@ class Foo {\n     int size(List<String> items) {\n+        if (items == null) {", cases[1]["diff"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(DatasetReader.Read(await File.ReadAllTextAsync(output)).Problems);
    }

    private const string DemoDiff = "diff --git a/app/cache.py b/app/cache.py\n--- a/app/cache.py\n+++ b/app/cache.py\n@@ -1,2 +1,3 @@\n def get(key):\n+    lock = None\n     return store[key]\n";

    private async Task<string> WriteGoldenAsync()
    {
        var golden = Path.Combine(_work, "bench", "golden_comments");
        Directory.CreateDirectory(golden);
        await File.WriteAllTextAsync(Path.Combine(golden, "demo.json"), """
            [
              {"pr_title": "Cache: add a lock", "url": "https://github.com/example/demo-repo/pull/1",
               "comments": [{"comment": "The lock is never acquired.", "severity": "High"}, {"comment": "Unused variable.", "severity": "Low"}]},
              {"pr_title": "Second", "url": "https://github.com/example/demo-repo/pull/2",
               "comments": [{"comment": "Something else.", "severity": "Medium"}]},
              {"pr_title": "No url"}
            ]
            """);
        return Path.Combine(_work, "bench");
    }

    [Fact]
    public async Task Martian_golden_comments_with_diffs_from_a_folder_are_judge_only_bugs()
    {
        var bench = await WriteGoldenAsync();
        var diffs = Path.Combine(_work, "diffs");
        Directory.CreateDirectory(diffs);
        await File.WriteAllTextAsync(Path.Combine(diffs, "demo-repo-1.diff"), DemoDiff);
        var output = Path.Combine(_work, "martian.jsonl");
        var (exit, _, stderr) = await CliAsync(null, "--from", "martian", "--input", bench, "--out", output, "--diffs", diffs);

        Assert.True(exit == ExitCodes.Success, stderr);
        Assert.Contains("pull request 2 (https://github.com/example/demo-repo/pull/2): no diff: 'demo-repo-2.diff' is not in", stderr, StringComparison.Ordinal);
        Assert.Contains("pull request 3: needs a url", stderr, StringComparison.Ordinal);
        var only = Assert.Single(ReadCases(output));
        Assert.Equal("martian/demo-repo/1", only["id"]!.GetValue<string>());
        Assert.Equal(DemoDiff, only["diff"]!.GetValue<string>());
        var bugs = only["bugs"]!.AsArray();
        Assert.Equal(["The lock is never acquired.", "Unused variable."], bugs.Select(b => b!["description"]!.GetValue<string>()));
        Assert.All(bugs, b => Assert.Null(b!["line"]));
        Assert.Equal("High", bugs[0]!["severity"]!.GetValue<string>());

        // Without diffs or a token nothing is usable: exit 2.
        var (exit2, _, stderr2) = await CliAsync(null, "--from", "martian", "--input", bench, "--out", Path.Combine(_work, "none.jsonl"));
        Assert.Equal(ExitCodes.Usage, exit2);
        Assert.Contains("set GITHUB_TOKEN to fetch it", stderr2, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_work, "none.jsonl")));
    }

    [Fact]
    public async Task Martian_diffs_missing_from_the_folder_are_fetched_from_the_configured_github_api_with_the_token()
    {
        var bench = await WriteGoldenAsync();
        var seen = new List<(string Path, string Authorization, string Accept)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var app = builder.Build();
        app.MapGet("/api/v3/repos/{owner}/{repo}/pulls/{number:int}", (HttpContext context, string owner, string repo, int number) =>
        {
            lock (seen)
            {
                seen.Add((context.Request.Path.Value!, context.Request.Headers.Authorization.ToString(), context.Request.Headers.Accept.ToString()));
            }

            return number == 2 ? Results.Text(DemoDiff.Replace("lock = None", "lock = 2", StringComparison.Ordinal), "text/plain") : Results.NotFound();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        var diffs = Path.Combine(_work, "diffs");
        Directory.CreateDirectory(diffs);
        await File.WriteAllTextAsync(Path.Combine(diffs, "demo-repo-1.diff"), DemoDiff);
        var output = Path.Combine(_work, "fetched.jsonl");
        var environment = new Dictionary<string, string?> { ["GITHUB_TOKEN"] = "ghp_secret_token", ["GITHUB_API_URL"] = address + "/api/v3" };
        var (exit, stdout, stderr) = await CliAsync(environment, "--from", "martian", "--input", bench, "--out", output, "--diffs", diffs);
        await app.StopAsync();

        Assert.True(exit == ExitCodes.Success, stderr);
        Assert.DoesNotContain("ghp_secret_token", stdout + stderr, StringComparison.Ordinal);
        var (path, authorization, accept) = Assert.Single(seen); // the first came from the folder
        Assert.Equal("/api/v3/repos/example/demo-repo/pulls/2", path);
        Assert.Equal("Bearer ghp_secret_token", authorization);
        Assert.Equal("application/vnd.github.diff", accept);
        var cases = ReadCases(output);
        Assert.Equal(["martian/demo-repo/1", "martian/demo-repo/2"], cases.Select(c => c["id"]!.GetValue<string>()));
        Assert.Contains("lock = 2", cases[1]["diff"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}
