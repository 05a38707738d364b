using System.Text.Json;
using CriticBot.Commands;
using CriticBot.Storage;
using CriticBot.Tests.Fixtures;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;
using static CriticBot.Tests.Export.ExportSeed;

namespace CriticBot.Tests.Export;

/// <summary>
/// <c>criticbot export</c> row by row on a database written through the store's own methods, on a SQLite file and on a
/// real PostgreSQL server: labels for each kind of event and conflict, pairs only on shared prompts, pseudonyms,
/// the permission filter, private repositories, the split, and empty logs.
/// </summary>
public abstract class ExportCommandTests : IAsyncLifetime
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "criticbot-tests", "export-" + Guid.NewGuid().ToString("N"));
    private string _setting = null!;
    private CriticBotStore _store = null!;
    private ExportSeed _seed = null!;

    protected abstract Task<string> CreateDatabaseAsync();

    protected virtual void DeleteDatabase()
    {
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_work);
        _setting = await CreateDatabaseAsync();
        _store = CriticBotStore.Open(_setting);
        await _store.MigrateAsync(default);
        _seed = new ExportSeed(_store);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        DeleteDatabase();
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<(int Code, string Out, string Error)> ExportAsync(ExportCommand.Arguments arguments, Dictionary<string, string?>? environment = null)
    {
        environment ??= [];
        environment["CRITICBOT_DATABASE"] = _setting;
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await ExportCommand.RunAsync(arguments, environment, stdout, stderr, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Exports to a .jsonl file and reads it back, one JSON document a line.</summary>
    private async Task<List<JsonElement>> RowsAsync(string format, string? minPermission = null, bool includePrivate = false,
        Dictionary<string, string?>? environment = null, bool rawLogins = false)
    {
        var path = Path.Combine(_work, Guid.NewGuid().ToString("N") + ".jsonl");
        var (code, _, error) = await ExportAsync(new ExportCommand.Arguments
        {
            Format = format, Out = path, MinPermission = minPermission, IncludePrivate = includePrivate, RawLogins = rawLogins,
        }, environment);
        Assert.True(code == 0, error);
        return ReadJsonLines(path);
    }

    internal static List<JsonElement> ReadJsonLines(string path) =>
        [.. File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    private static string Fingerprint(JsonElement row) => row.GetProperty("metadata").GetProperty("fingerprint").GetString()!;

    [Fact]
    public async Task Each_kind_of_event_and_each_conflict_gives_the_label_the_rule_says()
    {
        string[] fingerprints = ["good", "wrong", "nit", "rate6", "rate2", "rate4", "plus", "minus", "retracted", "command-over-reaction",
            "two-raters-disagree", "changed-mind", "reader-only", "addressed-only", "reply-only", "resolved-only", "neutral-and-positive"];
        var review = await _seed.ReviewAsync("o/r", 1, [.. fingerprints.Select(f => new Highlight(0, f))]);
        await _seed.EventAsync(review, "good", FeedbackKind.CommandGood);
        await _seed.EventAsync(review, "wrong", FeedbackKind.CommandWrong);
        await _seed.EventAsync(review, "nit", FeedbackKind.CommandNit);
        await _seed.EventAsync(review, "rate6", FeedbackKind.CommandRate, rating: 6);
        await _seed.EventAsync(review, "rate2", FeedbackKind.CommandRate, rating: 2);
        await _seed.EventAsync(review, "rate4", FeedbackKind.CommandRate, rating: 4);
        await _seed.EventAsync(review, "plus", FeedbackKind.Reaction, value: FeedbackValue.Positive, reaction: 1);
        await _seed.EventAsync(review, "minus", FeedbackKind.Reaction, value: FeedbackValue.Negative, reaction: 2);
        await _seed.EventAsync(review, "retracted", FeedbackKind.Reaction, value: FeedbackValue.Positive, reaction: 3);
        await _seed.EventAsync(review, "retracted", FeedbackKind.ReactionRetracted, value: FeedbackValue.Positive, reaction: 3);
        await _seed.EventAsync(review, "command-over-reaction", FeedbackKind.Reaction, login: "alice", value: FeedbackValue.Positive, reaction: 4);
        await _seed.EventAsync(review, "command-over-reaction", FeedbackKind.CommandWrong, login: "bob");
        await _seed.EventAsync(review, "two-raters-disagree", FeedbackKind.CommandGood, login: "alice");
        await _seed.EventAsync(review, "two-raters-disagree", FeedbackKind.CommandWrong, login: "bob");
        await _seed.EventAsync(review, "changed-mind", FeedbackKind.CommandGood, login: "alice");
        await _seed.EventAsync(review, "changed-mind", FeedbackKind.CommandWrong, login: "alice");
        await _seed.EventAsync(review, "reader-only", FeedbackKind.CommandGood, login: "carol", permission: "read");
        await _seed.EventAsync(review, "addressed-only", FeedbackKind.Addressed);
        await _seed.EventAsync(review, "reply-only", FeedbackKind.Reply, text: "hm");
        await _seed.EventAsync(review, "resolved-only", FeedbackKind.ThreadResolved);
        await _seed.EventAsync(review, "neutral-and-positive", FeedbackKind.CommandNit, login: "alice");
        await _seed.EventAsync(review, "neutral-and-positive", FeedbackKind.CommandGood, login: "bob");

        var path = Path.Combine(_work, "kto.jsonl");
        var (code, _, error) = await ExportAsync(new ExportCommand.Arguments { Format = "kto", Out = path });
        Assert.True(code == 0, error);
        var labels = ReadJsonLines(path).ToDictionary(Fingerprint, r => r.GetProperty("label").GetBoolean());
        Assert.Equal(new Dictionary<string, bool>
        {
            ["good"] = true, ["wrong"] = false, ["rate6"] = true, ["rate2"] = false, ["plus"] = true, ["minus"] = false,
            ["command-over-reaction"] = false, ["changed-mind"] = false, ["neutral-and-positive"] = true,
        }, labels);
        // The summary line says what was left out and why.
        Assert.Contains("conflicting verdicts: 1", error, StringComparison.Ordinal);
        Assert.Contains("neutral only: 2", error, StringComparison.Ordinal);
        Assert.Contains("rated only below --min-permission: 1", error, StringComparison.Ordinal);
        Assert.Contains("unrated: 4", error, StringComparison.Ordinal);
        Assert.Contains("false: 5", error, StringComparison.Ordinal);
        Assert.Contains("true: 4", error, StringComparison.Ordinal);

        // A reader counts once --min-permission lets readers in.
        var withReaders = (await RowsAsync("kto", minPermission: "read")).ToDictionary(Fingerprint, r => r.GetProperty("label").GetBoolean());
        Assert.True(withReaders["reader-only"]);
        // And admins only: nothing a writer said counts.
        Assert.Empty(await RowsAsync("kto", minPermission: "admin"));
    }

    [Fact]
    public async Task A_kto_row_holds_the_exact_prompt_the_highlight_as_the_critic_wrote_it_and_its_metadata()
    {
        var review = await _seed.ReviewAsync("o/r", 3, [new Highlight(0, "fp"), new Highlight(0, "other")]);
        await _seed.EventAsync(review, "fp", FeedbackKind.CommandGood, login: "alice", permission: "maintain", author: true);
        await _seed.EventAsync(review, "fp", FeedbackKind.Addressed);
        await _seed.EventAsync(review, "fp", FeedbackKind.Reply, login: "bob", text: "thanks");

        var row = Assert.Single(await RowsAsync("kto"));
        var prompt = row.GetProperty("prompt").EnumerateArray().ToList();
        Assert.Equal(("system", "You are the critic."), (prompt[0].GetProperty("role").GetString(), prompt[0].GetProperty("content").GetString()));
        Assert.Equal(("user", "Review chunk 0 of o/r#3."), (prompt[1].GetProperty("role").GetString(), prompt[1].GetProperty("content").GetString()));
        var completion = Assert.Single(row.GetProperty("completion").EnumerateArray().ToList());
        Assert.Equal("assistant", completion.GetProperty("role").GetString());
        using var critique = JsonDocument.Parse(completion.GetProperty("content").GetString()!);
        var highlight = Assert.Single(critique.RootElement.GetProperty("comments").EnumerateArray().ToList());
        Assert.Equal(("src/app.py", 10, "quote of fp", "bug", "body of fp"), (highlight.GetProperty("path").GetString(), highlight.GetProperty("line").GetInt32(),
            highlight.GetProperty("quote").GetString(), highlight.GetProperty("severity").GetString(), highlight.GetProperty("body").GetString()));

        var metadata = row.GetProperty("metadata");
        Assert.Equal(("o/r", 3, review.HeadSha, "src/app.py", 10, "bug"), (metadata.GetProperty("repository").GetString(), metadata.GetProperty("pull_request").GetInt32(),
            metadata.GetProperty("head_sha").GetString(), metadata.GetProperty("path").GetString(), metadata.GetProperty("line").GetInt32(), metadata.GetProperty("severity").GetString()));
        Assert.Equal((0.75, 2, "critic-model", 0.5, 0, 0.6), (metadata.GetProperty("score").GetDouble(), metadata.GetProperty("support").GetInt32(),
            metadata.GetProperty("model").GetString(), metadata.GetProperty("temperature").GetDouble(), metadata.GetProperty("sample").GetInt32(),
            metadata.GetProperty("precision").GetDouble()));
        Assert.Equal(("maintain", true, "command", true, 1), (metadata.GetProperty("rater_permission").GetString(), metadata.GetProperty("rater_is_author").GetBoolean(),
            metadata.GetProperty("label_source").GetString(), metadata.GetProperty("addressed").GetBoolean(), metadata.GetProperty("replies").GetInt32()));
    }

    [Fact]
    public async Task Pairs_form_only_on_a_shared_prompt_and_a_missed_bug_is_chosen_over_the_critique_of_its_chunk()
    {
        // Chunk 0: a confirmed and a rejected highlight (one pair). Chunks 1 and 2: one confirmed, one rejected, on
        // different prompts (no pair). A missed bug reported on chunk 1.
        var review = await _seed.ReviewAsync("o/r", 5, [new Highlight(0, "a+"), new Highlight(0, "b-"), new Highlight(1, "c+"), new Highlight(2, "d-")]);
        await _seed.EventAsync(review, "a+", FeedbackKind.CommandGood);
        await _seed.EventAsync(review, "b-", FeedbackKind.CommandWrong);
        await _seed.EventAsync(review, "c+", FeedbackKind.CommandGood);
        await _seed.EventAsync(review, "d-", FeedbackKind.CommandWrong);
        await _seed.EventAsync(review, null, FeedbackKind.MissedBug, text: "a negative percent raises the price", path: "src/app.py", line: 42, chunk: 1);

        var dpo = await RowsAsync("dpo");
        Assert.Equal(2, dpo.Count);
        var rated = Assert.Single(dpo, r => r.GetProperty("metadata").GetProperty("pair_kind").GetString() == "rated");
        Assert.Equal(("a+", "b-"), (rated.GetProperty("metadata").GetProperty("chosen").GetProperty("fingerprint").GetString(),
            rated.GetProperty("metadata").GetProperty("rejected").GetProperty("fingerprint").GetString()));
        Assert.Contains("quote of a+", Single(rated, "chosen"), StringComparison.Ordinal);
        Assert.Contains("quote of b-", Single(rated, "rejected"), StringComparison.Ordinal);
        Assert.Equal("Review chunk 0 of o/r#5.", rated.GetProperty("prompt")[1].GetProperty("content").GetString());

        var missed = Assert.Single(dpo, r => r.GetProperty("metadata").GetProperty("pair_kind").GetString() == "missed_bug");
        Assert.Equal("Review chunk 1 of o/r#5.", missed.GetProperty("prompt")[1].GetProperty("content").GetString());
        using (var chosen = JsonDocument.Parse(Single(missed, "chosen")))
        {
            var bug = Assert.Single(chosen.RootElement.GetProperty("comments").EnumerateArray().ToList());
            Assert.Equal(("src/app.py", 42, "a negative percent raises the price"), (bug.GetProperty("path").GetString(), bug.GetProperty("line").GetInt32(), bug.GetProperty("body").GetString()));
        }

        Assert.Equal("{\"comments\": [\"the critique of chunk 1\"]}", Single(missed, "rejected"));

        // OpenAI's shape: the same pairs.
        var openAi = await RowsAsync("openai-dpo");
        Assert.Equal(2, openAi.Count);
        var first = openAi.Single(r => r.GetProperty("metadata").GetProperty("pair_kind").GetString() == "rated");
        Assert.Equal(2, first.GetProperty("input").GetProperty("messages").GetArrayLength());
        Assert.Contains("quote of a+", first.GetProperty("preferred_output")[0].GetProperty("content").GetString(), StringComparison.Ordinal);
        Assert.Contains("quote of b-", first.GetProperty("non_preferred_output")[0].GetProperty("content").GetString(), StringComparison.Ordinal);

        // sft: chunks with a confirmed highlight, holding only the confirmed ones.
        var sft = await RowsAsync("sft");
        Assert.Equal(2, sft.Count);
        var chunk0 = sft.Single(r => r.GetProperty("messages")[1].GetProperty("content").GetString() == "Review chunk 0 of o/r#5.");
        var assistant = chunk0.GetProperty("messages")[2];
        Assert.Equal("assistant", assistant.GetProperty("role").GetString());
        Assert.Contains("quote of a+", assistant.GetProperty("content").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("quote of b-", assistant.GetProperty("content").GetString(), StringComparison.Ordinal);
    }

    private static string Single(JsonElement row, string side) => Assert.Single(row.GetProperty(side).EnumerateArray().ToList()).GetProperty("content").GetString()!;

    [Fact]
    public async Task Ratings_hold_every_event_with_reply_texts_ratings_and_missed_bugs_and_logins_are_pseudonyms_everywhere()
    {
        var review = await _seed.ReviewAsync("o/r", 9, [new Highlight(0, "fp")]);
        await _seed.EventAsync(review, "fp", FeedbackKind.Reply, login: "alice-maint", permission: "maintain", text: "Agreed, cc @bob-writer and @Alice-Maint; mail me at dev@example.com");
        await _seed.EventAsync(review, "fp", FeedbackKind.CommandRate, login: "bob-writer", rating: 6);
        await _seed.EventAsync(review, "fp", FeedbackKind.Reaction, login: "carol-reader", permission: "read", value: FeedbackValue.Negative, reaction: 7);
        await _seed.EventAsync(review, null, FeedbackKind.MissedBug, login: "alice-maint", permission: "maintain", text: "overflow", path: "src/app.py", line: 3, chunk: 0);

        // Ordered by comment, then as recorded (a missed bug is on no comment): read in recording order here.
        var ratings = (await RowsAsync("ratings")).OrderBy(r => r.GetProperty("event_id").GetInt64()).ToList();
        Assert.Equal(["reply", "command_rate", "reaction", "missed_bug"], ratings.Select(r => r.GetProperty("kind").GetString()));
        Assert.Equal(6, ratings[1].GetProperty("rating").GetInt32());
        Assert.Equal(("src/app.py", 3, "overflow"), (ratings[3].GetProperty("reported_path").GetString(), ratings[3].GetProperty("reported_line").GetInt32(), ratings[3].GetProperty("text").GetString()));
        Assert.Equal("read", ratings[2].GetProperty("rater_permission").GetString());

        // Pseudonyms: one per person (case-insensitive), in mentions too, and no login anywhere.
        var alice = ratings[0].GetProperty("rater").GetString()!;
        Assert.StartsWith("rater-", alice, StringComparison.Ordinal);
        Assert.Equal(alice, ratings[3].GetProperty("rater").GetString());
        var bob = ratings[1].GetProperty("rater").GetString()!;
        Assert.Equal($"Agreed, cc @{bob} and @{alice}; mail me at dev@example.com", ratings[0].GetProperty("text").GetString());
        var everything = string.Join("\n", ratings.Select(r => r.GetRawText()));
        Assert.DoesNotContain("bob-writer", everything, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("carol-reader", everything, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@alice-maint", everything, StringComparison.OrdinalIgnoreCase);

        // Stable across exports (the key is kept in the database), different under another salt, raw on request.
        Assert.Equal(alice, (await RowsAsync("ratings")).Single(r => r.GetProperty("kind").GetString() == "reply").GetProperty("rater").GetString());
        static string? ReplyRater(List<JsonElement> rows) => rows.Single(r => r.GetProperty("kind").GetString() == "reply").GetProperty("rater").GetString();
        var salted = ReplyRater(await RowsAsync("ratings", environment: new() { ["CRITICBOT_EXPORT_SALT"] = "another key" }));
        Assert.StartsWith("rater-", salted, StringComparison.Ordinal);
        Assert.NotEqual(alice, salted);
        Assert.Equal(salted, ReplyRater(await RowsAsync("ratings", environment: new() { ["CRITICBOT_EXPORT_SALT"] = "another key" })));
        var raw = (await RowsAsync("ratings", rawLogins: true)).Single(r => r.GetProperty("kind").GetString() == "reply");
        Assert.Equal("alice-maint", raw.GetProperty("rater").GetString());
        Assert.Contains("@bob-writer", raw.GetProperty("text").GetString(), StringComparison.Ordinal);

        // kto: the raters who made the label are pseudonyms too.
        var kto = Assert.Single(await RowsAsync("kto"));
        Assert.Equal(bob, Assert.Single(kto.GetProperty("metadata").GetProperty("raters").EnumerateArray().ToList()).GetProperty("rater").GetString());

        // An explicit --min-permission filters the raw log's raters too.
        Assert.DoesNotContain(await RowsAsync("ratings", minPermission: "write"), r => r.GetProperty("kind").GetString() == "reaction");
    }

    [Fact]
    public async Task Private_repositories_are_exported_only_with_share_feedback_or_include_private_and_unknown_visibility_counts_as_private()
    {
        foreach (var (repository, isPrivate, share) in new[] { ("o/public", (bool?)false, false), ("o/secret", true, false), ("o/shared", true, true), ("o/unknown", null, false) })
        {
            var review = await _seed.ReviewAsync(repository, 1, [new Highlight(0, "fp")], isPrivate: isPrivate, shareFeedback: share);
            await _seed.EventAsync(review, "fp", FeedbackKind.CommandGood);
        }

        var exported = (await RowsAsync("kto")).Select(r => r.GetProperty("metadata").GetProperty("repository").GetString()).Order().ToList();
        Assert.Equal(["o/public", "o/shared"], exported);
        Assert.Equal(2, (await RowsAsync("ratings")).Count);
        Assert.Equal(4, (await RowsAsync("kto", includePrivate: true)).Count);
        Assert.Equal(4, (await RowsAsync("ratings", includePrivate: true)).Count);

        // A later review that says nothing about visibility keeps what was known; a repository that stops sharing is withdrawn.
        await _store.RecordSharingAsync("o/shared", null, false, default);
        Assert.Equal(["o/public"], (await RowsAsync("kto")).Select(r => r.GetProperty("metadata").GetProperty("repository").GetString()));
    }

    [Fact]
    public async Task A_split_puts_each_pull_request_wholly_on_one_side_reproducibly_with_its_seed()
    {
        for (var pr = 1; pr <= 30; pr++)
        {
            var review = await _seed.ReviewAsync("o/r", pr, [new Highlight(0, "a"), new Highlight(0, "b"), new Highlight(1, "c")]);
            await _seed.EventAsync(review, "a", FeedbackKind.CommandGood);
            await _seed.EventAsync(review, "b", FeedbackKind.CommandWrong);
            await _seed.EventAsync(review, "c", FeedbackKind.Reaction, value: FeedbackValue.Positive, reaction: pr);
        }

        async Task<(HashSet<int> Train, HashSet<int> Test)> SplitAsync(int seed, string name)
        {
            var path = Path.Combine(_work, name + ".jsonl");
            var (code, _, error) = await ExportAsync(new ExportCommand.Arguments { Format = "kto", Out = path, Split = 0.7, Seed = seed });
            Assert.True(code == 0, error);
            int Pr(JsonElement r) => r.GetProperty("metadata").GetProperty("pull_request").GetInt32();
            var train = ReadJsonLines(Path.Combine(_work, name + ".train.jsonl"));
            var test = ReadJsonLines(Path.Combine(_work, name + ".test.jsonl"));
            Assert.Equal(90, train.Count + test.Count);
            // Every pull request's three rows are on one side.
            Assert.All(train.Concat(test).GroupBy(Pr), g => Assert.Equal(3, g.Count()));
            return ([.. train.Select(Pr)], [.. test.Select(Pr)]);
        }

        var first = await SplitAsync(11, "first");
        Assert.Empty(first.Train.Intersect(first.Test));
        Assert.NotEmpty(first.Train);
        Assert.NotEmpty(first.Test);
        var again = await SplitAsync(11, "again");
        Assert.Equal(first.Train.Order(), again.Train.Order());
        var other = await SplitAsync(12, "other");
        Assert.NotEqual(first.Train.Order(), other.Train.Order());
    }

    [Fact]
    public async Task An_empty_log_gives_a_valid_empty_file_and_parquet_reads_back_with_its_schema()
    {
        var jsonl = Path.Combine(_work, "empty.jsonl");
        var (code, stdout, error) = await ExportAsync(new ExportCommand.Arguments { Format = "kto", Out = jsonl });
        Assert.True(code == 0, error);
        Assert.Equal("", stdout);
        Assert.Empty(ReadJsonLines(jsonl));
        Assert.Contains("exported 0 kto row(s) from 0 event(s)", error, StringComparison.Ordinal);

        // To standard output by default.
        (code, stdout, _) = await ExportAsync(new ExportCommand.Arguments { Format = "ratings" });
        Assert.Equal((0, ""), (code, stdout));

        var review = await _seed.ReviewAsync("o/r", 1, [new Highlight(0, "a"), new Highlight(0, "b")]);
        await _seed.EventAsync(review, "a", FeedbackKind.CommandGood);
        await _seed.EventAsync(review, "b", FeedbackKind.CommandWrong);
        var parquet = Path.Combine(_work, "kto.parquet");
        (code, _, error) = await ExportAsync(new ExportCommand.Arguments { Format = "kto", Out = parquet });
        Assert.True(code == 0, error);
        await using var stream = File.OpenRead(parquet);
        await using var reader = await ParquetReader.CreateAsync(stream);
        Assert.Equal(["prompt", "completion", "label", "metadata"], reader.Schema.Fields.Select(f => f.Name));
        Assert.Equal(typeof(bool), Assert.IsType<DataField>(reader.Schema.Fields[2]).ClrType);
        stream.Position = 0;
        var rows = (await ParquetSerializer.DeserializeAsync<KtoReadBack>(stream)).Data;
        Assert.Equal([("a", true), ("b", false)], rows.Select(r => (r.Metadata!.Fingerprint, r.Label)));
    }

    [Fact]
    public async Task A_dataset_folder_gets_train_and_test_parquet_and_a_card_with_the_rule_and_provenance()
    {
        for (var pr = 1; pr <= 12; pr++)
        {
            var review = await _seed.ReviewAsync("o/r", pr, [new Highlight(0, "a"), new Highlight(0, "b")]);
            await _seed.EventAsync(review, "a", FeedbackKind.CommandGood);
            await _seed.EventAsync(review, "b", FeedbackKind.CommandWrong);
        }

        var folder = Path.Combine(_work, "dataset");
        var (code, _, error) = await ExportAsync(new ExportCommand.Arguments { Format = "dpo", Out = folder, Split = 0.5, Seed = 3 });
        Assert.True(code == 0, error);
        Assert.Contains("exported 12 dpo row(s)", error, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(folder, "data", "train-00000-of-00001.parquet")));
        Assert.True(File.Exists(Path.Combine(folder, "data", "test-00000-of-00001.parquet")));
        var card = await File.ReadAllTextAsync(Path.Combine(folder, "README.md"));
        Assert.Contains("A comment's label comes from its feedback events by one rule", card, StringComparison.Ordinal);
        Assert.Contains("--min-permission", card, StringComparison.Ordinal);
    }

    /// <summary>The columns a reader of the file needs, as Parquet.Net's serializer reads them by their names.</summary>
    public sealed class KtoReadBack
    {
        [System.Text.Json.Serialization.JsonPropertyName("label")] public bool Label { get; set; }
        [System.Text.Json.Serialization.JsonPropertyName("metadata")] public ReadBackMetadata? Metadata { get; set; }
    }

    public sealed class ReadBackMetadata
    {
        [System.Text.Json.Serialization.JsonPropertyName("fingerprint")] public string? Fingerprint { get; set; }
    }

    [Theory]
    [InlineData("kto", null, null, "--split must be a fraction", 1.5)]
    [InlineData("kto", "yesterday", null, "--since must be a date", null)]
    [InlineData("kto", null, "soon", "--until must be a date", null)]
    [InlineData("kto", "2026-05-02", "2026-05-01", "--until must be after --since", null)]
    [InlineData("xml", null, null, "--format must be one of", null)]
    public async Task Bad_flags_are_one_line_and_exit_code_2(string format, string? since, string? until, string message, double? split)
    {
        var (code, stdout, error) = await ExportAsync(new ExportCommand.Arguments
        {
            Format = format, Since = since, Until = until, Split = split, Out = split is null ? null : Path.Combine(_work, "x.jsonl"),
        });
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains(message, error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task The_command_line_checks_its_flags_before_touching_the_database()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var env = new Dictionary<string, string?> { ["CRITICBOT_DATABASE"] = _setting };
        Assert.Equal(2, await CriticBotCli.RunAsync(["export", "--format", "kto", "--repo", "not a repo"], stdout, stderr, environment: env));
        Assert.Contains("--repo must be OWNER/NAME", stderr.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, await CriticBotCli.RunAsync(["export", "--format", "kto", "--split", "0.9"], stdout, stderr, environment: env));
        Assert.Contains("--split writes two files", stderr.ToString(), StringComparison.Ordinal);
        Assert.Equal(2, await CriticBotCli.RunAsync(["export", "--format", "kto", "--min-permission", "owner"], stdout, stderr, environment: env));
        Assert.Equal(2, await CriticBotCli.RunAsync(["export"], stdout, stderr, environment: env));

        var review = await _seed.ReviewAsync("o/r", 1, [new Highlight(0, "a")]);
        await _seed.EventAsync(review, "a", FeedbackKind.CommandGood, minutes: 0);
        var other = await _seed.ReviewAsync("o/other", 1, [new Highlight(0, "a")]);
        await _seed.EventAsync(other, "a", FeedbackKind.CommandGood);
        using var output = new StringWriter();
        Assert.Equal(0, await CriticBotCli.RunAsync(["export", "--format", "kto", "--repo", "O/R", "--since", "2026-04-01", "--until", "2026-04-01"], output, stderr, environment: env));
        var row = JsonDocument.Parse(Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))).RootElement;
        Assert.Equal("o/r", row.GetProperty("metadata").GetProperty("repository").GetString());
        using var none = new StringWriter();
        Assert.Equal(0, await CriticBotCli.RunAsync(["export", "--format", "kto", "--since", "2026-04-02"], none, stderr, environment: env));
        Assert.Equal("", none.ToString());
    }
}

public sealed class SqliteExportCommandTests : ExportCommandTests
{
    private readonly TestDatabase _database = new();

    protected override Task<string> CreateDatabaseAsync() => Task.FromResult(_database.Path);

    protected override void DeleteDatabase() => _database.Dispose();
}

public sealed class PostgresExportCommandTests : ExportCommandTests
{
    protected override async Task<string> CreateDatabaseAsync() => await (await PostgresServer.SharedAsync()).CreateDatabaseAsync();
}
