using System.Text;
using System.Text.Json;
using CriticBot.Export.Files;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;
using YamlDotNet.RepresentationModel;

namespace CriticBot.Tests.Export.Files;

/// <summary>
/// The export's file layer: rows of kto-, dpo- and openai-dpo-shaped classes written through each sink and read
/// back (JSON Lines line by line, Parquet through Parquet.Net's reader and serializer, the dataset card's YAML).
/// </summary>
public sealed class ExportSinkTests : IDisposable
{
    private static readonly DatasetCard Card = new()
    {
        Format = "kto",
        LabelRuleMarkdown = "Explicit commands outweigh reactions; the **latest** verdict of each rater counts.",
        RowsPerLabel = new Dictionary<string, long> { ["true"] = 7, ["false"] = 3 },
        Skipped = new Dictionary<string, long> { ["conflicting verdicts"] = 2, ["neutral only"] = 5 },
        CriticBotVersion = "0.1.0+abc123",
        ExportedAt = new DateTimeOffset(2026, 11, 29, 1, 2, 3, TimeSpan.Zero),
        Filters = new Dictionary<string, string> { ["--min-permission"] = "write", ["--repo"] = "octo-org/octo|repo" },
        DatabaseKind = "SQLite",
    };

    private readonly string _work = Path.Combine(Path.GetTempPath(), "criticbot-export-files-" + Guid.NewGuid().ToString("N"));

    public ExportSinkTests() => Directory.CreateDirectory(_work);

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Theory]
    [InlineData(null, OutputKind.StandardOutput)]
    [InlineData("", OutputKind.StandardOutput)]
    [InlineData("out.jsonl", OutputKind.JsonLinesFile)]
    [InlineData("a/b/out.JSONL", OutputKind.JsonLinesFile)]
    [InlineData("out.parquet", OutputKind.ParquetFile)]
    [InlineData("out.Parquet", OutputKind.ParquetFile)]
    [InlineData("dataset", OutputKind.DatasetFolder)]
    [InlineData("dataset.v2", OutputKind.DatasetFolder)]
    [InlineData("out.parquet/", OutputKind.DatasetFolder)]
    public void Out_path_picks_the_kind_of_output(string? outPath, OutputKind expected) =>
        Assert.Equal(expected, ExportSinks.KindOf(outPath));

    [Fact]
    public void An_existing_folder_is_a_dataset_folder_whatever_its_name()
    {
        var folder = Path.Combine(_work, "looks.parquet");
        Directory.CreateDirectory(folder);
        Assert.Equal(OutputKind.DatasetFolder, ExportSinks.KindOf(folder));
    }

    [Fact]
    public async Task Jsonl_file_has_one_parsable_line_per_row_even_with_line_breaks_inside_strings()
    {
        var path = Path.Combine(_work, "kto.jsonl");
        var rows = Enumerable.Range(0, 25).Select(TestRowFactory.Kto).ToList();
        await using (var sink = ExportSinks.Open<TestKtoRow>(path, split: false, TextWriter.Null))
        {
            foreach (var row in rows)
            {
                await sink.WriteAsync(row, ExportSplit.Train, CancellationToken.None);
            }

            await sink.CompleteAsync(Card, CancellationToken.None);
            Assert.Equal(25, sink.RowCount(ExportSplit.Train));
            Assert.Equal([path], sink.OutputPaths);
        }

        var bytes = await File.ReadAllBytesAsync(path);
        var text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var lines = text[..^1].Split('\n');
        Assert.Equal(rows.Count, lines.Length);
        foreach (var lineBreak in new[] { "\r", "\u2028", "\u2029", "\u0085", "\u000b", "\u000c" })
        {
            Assert.DoesNotContain(lineBreak, text, StringComparison.Ordinal); // nothing another reader could split a line on
        }

        Assert.Contains("piped é 漢字", text, StringComparison.Ordinal); // readable UTF-8, not \u escapes
        for (var i = 0; i < rows.Count; i++)
        {
            using var document = JsonDocument.Parse(lines[i]);
            var root = document.RootElement;
            Assert.Equal(["prompt", "completion", "label", "metadata"], root.EnumerateObject().Select(p => p.Name));
            Assert.Equal(rows[i].Prompt[1].Content, root.GetProperty("prompt")[1].GetProperty("content").GetString());
            Assert.Equal(rows[i].Label, root.GetProperty("label").GetBoolean());
            Assert.Equal(rows[i].Metadata.CommentId, root.GetProperty("metadata").GetProperty("comment_id").GetInt64());
            Assert.Equal(JsonValueKind.Null is var nullKind && rows[i].Metadata.Path is null ? nullKind : JsonValueKind.String,
                root.GetProperty("metadata").GetProperty("path").ValueKind);
            Assert.Equal(JsonSerializer.Serialize(rows[i], ExportJson.Options), lines[i]);
        }
    }

    [Fact]
    public async Task Jsonl_goes_to_standard_output_without_out()
    {
        using var stdout = new StringWriter();
        await using (var sink = ExportSinks.Open<TestDpoRow>(null, split: false, stdout))
        {
            for (var i = 0; i < 3; i++)
            {
                await sink.WriteAsync(TestRowFactory.Dpo(i), ExportSplit.Train, CancellationToken.None);
            }

            await sink.CompleteAsync(Card, CancellationToken.None);
            Assert.Empty(sink.OutputPaths);
        }

        var lines = stdout.ToString().Split('\n');
        Assert.Equal(4, lines.Length);
        Assert.Equal("", lines[3]);
        Assert.Equal(TestRowFactory.Dpo(2).Prompt, JsonDocument.Parse(lines[2]).RootElement.GetProperty("prompt").GetString());
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(lines[1]).RootElement.GetProperty("metadata").ValueKind);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_work));
    }

    [Fact]
    public void A_split_cannot_go_to_standard_output()
    {
        var error = Assert.Throws<ExportOutputException>(() => ExportSinks.Open<TestDpoRow>(null, split: true, TextWriter.Null));
        Assert.Contains("--out", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rows_for_test_without_a_split_are_a_caller_error()
    {
        await using var sink = ExportSinks.Open<TestDpoRow>(Path.Combine(_work, "x.jsonl"), split: false, TextWriter.Null);
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await sink.WriteAsync(TestRowFactory.Dpo(1), ExportSplit.Test, CancellationToken.None));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public async Task Row_groups_queued_behind_one_another_are_written_in_order(int groupsInFlight)
    {
        var path = Path.Combine(_work, $"queued-{groupsInFlight}.parquet");
        var rows = Enumerable.Range(0, 101).Select(TestRowFactory.Kto).ToList();
        await using (var sink = ExportSinks.Open<TestKtoRow>(path, split: false, TextWriter.Null,
            new ParquetLimits { MaxRowsPerGroup = 3, GroupsInFlight = groupsInFlight }))
        {
            foreach (var row in rows)
            {
                await sink.WriteAsync(row, ExportSplit.Train, CancellationToken.None);
            }

            await sink.CompleteAsync(Card, CancellationToken.None);
        }

        await using (var stream = File.OpenRead(path))
        await using (var reader = await ParquetReader.CreateAsync(stream))
        {
            Assert.Equal(34, reader.RowGroupCount);
        }

        var read = await ReadParquetAsync<TestKtoRow>(path);
        Assert.Equal(rows.Select(r => r.Completion[0].Content), read.Select(r => r.Completion[0].Content));
    }

    [Fact]
    public async Task Parquet_file_has_json_names_nested_structs_and_lists_and_reads_back_in_row_groups()
    {
        var path = Path.Combine(_work, "kto.parquet");
        var rows = Enumerable.Range(0, 10).Select(TestRowFactory.Kto).ToList();
        await using (var sink = ExportSinks.Open<TestKtoRow>(path, split: false, TextWriter.Null, new ParquetLimits { MaxRowsPerGroup = 4 }))
        {
            foreach (var row in rows)
            {
                await sink.WriteAsync(row, ExportSplit.Train, CancellationToken.None);
            }

            await sink.CompleteAsync(Card, CancellationToken.None);
        }

        await using (var stream = File.OpenRead(path))
        await using (var reader = await ParquetReader.CreateAsync(stream))
        {
            Assert.Equal(3, reader.RowGroupCount); // 4 + 4 + 2: appended, not rewritten
            var fields = reader.Schema.Fields;
            Assert.Equal(["prompt", "completion", "label", "metadata"], fields.Select(f => f.Name));

            var prompt = Assert.IsType<ListField>(fields[0]);
            var message = Assert.IsType<StructField>(prompt.Item);
            Assert.Equal(["role", "content"], message.Fields.Select(f => f.Name));
            Assert.All(message.Fields, f => Assert.True(IsString(Assert.IsType<DataField>(f))));

            var label = Assert.IsType<DataField>(fields[2]);
            Assert.Equal(typeof(bool), label.ClrType);
            Assert.False(label.IsNullable);

            var metadata = Assert.IsType<StructField>(fields[3]);
            var byName = metadata.Fields.ToDictionary(f => f.Name);
            Assert.Equal(["repository", "pull_request", "head_sha", "path", "start_line", "score", "temperature", "comment_id", "rater_is_author", "posted_at", "rated_at", "rater_logins"],
                metadata.Fields.Select(f => f.Name));
            Assert.Equal(typeof(int), ((DataField)byName["pull_request"]).ClrType);
            Assert.True(((DataField)byName["start_line"]).IsNullable);
            Assert.Equal(typeof(double), ((DataField)byName["score"]).ClrType);
            Assert.True(((DataField)byName["score"]).IsNullable);
            Assert.Equal(typeof(long), ((DataField)byName["comment_id"]).ClrType);
            var postedAt = Assert.IsType<DateTimeDataField>(byName["posted_at"]); // [ParquetTimestamp]: INT64 UTC milliseconds
            Assert.Equal((DateTimeFormat.Timestamp, true, DateTimeTimeUnit.Millis), (postedAt.DateTimeFormat, postedAt.IsAdjustedToUTC, postedAt.Unit));
            Assert.Equal(DateTimeFormat.Impala, Assert.IsType<DateTimeDataField>(byName["rated_at"]).DateTimeFormat); // the default
            Assert.True(IsString(Assert.IsType<DataField>(Assert.IsType<ListField>(byName["rater_logins"]).Item)));

            long total = 0;
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                total += group.RowCount;
            }

            Assert.Equal(rows.Count, total);
        }

        var read = await ReadParquetAsync<TestKtoRow>(path);
        Assert.Equal(rows.Count, read.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(JsonSerializer.Serialize(rows[i], ExportJson.Options), JsonSerializer.Serialize(read[i], ExportJson.Options));
        }
    }

    [Fact]
    public async Task Parquet_row_groups_also_close_on_the_byte_budget()
    {
        var path = Path.Combine(_work, "dpo.parquet");
        var big = new string('x', 50_000); // about 100 kB in memory a row
        await using (var sink = ExportSinks.Open<TestDpoRow>(path, split: false, TextWriter.Null, new ParquetLimits { MaxBytesPerGroup = 350_000 }))
        {
            for (var i = 0; i < 10; i++)
            {
                await sink.WriteAsync(new TestDpoRow { Prompt = big, Chosen = $"c{i}", Rejected = $"r{i}" }, ExportSplit.Train, CancellationToken.None);
            }

            await sink.CompleteAsync(Card, CancellationToken.None);
        }

        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream);
        Assert.Equal(3, reader.RowGroupCount); // 4 rows reach 350 kB: 4 + 4 + 2
    }

    [Fact]
    public async Task Openai_dpo_rows_round_trip_through_parquet()
    {
        var path = Path.Combine(_work, "openai.parquet");
        var rows = Enumerable.Range(0, 5).Select(TestRowFactory.OpenAiDpo).ToList();
        await using (var sink = ExportSinks.Open<TestOpenAiDpoRow>(path, split: false, TextWriter.Null))
        {
            foreach (var row in rows)
            {
                await sink.WriteAsync(row, ExportSplit.Train, CancellationToken.None);
            }

            await sink.CompleteAsync(Card, CancellationToken.None);
        }

        await using (var stream = File.OpenRead(path))
        await using (var reader = await ParquetReader.CreateAsync(stream))
        {
            var input = Assert.IsType<StructField>(reader.Schema.Fields[0]);
            Assert.Equal("input", input.Name);
            var messages = Assert.IsType<ListField>(Assert.Single(input.Fields));
            Assert.Equal("messages", messages.Name);
            Assert.Equal(["role", "content"], Assert.IsType<StructField>(messages.Item).Fields.Select(f => f.Name));
        }

        var read = await ReadParquetAsync<TestOpenAiDpoRow>(path);
        Assert.Equal(rows.Select(r => JsonSerializer.Serialize(r, ExportJson.Options)), read.Select(r => JsonSerializer.Serialize(r, ExportJson.Options)));
    }

    [Theory]
    [InlineData("empty.parquet")]
    [InlineData("empty.jsonl")]
    public async Task An_empty_export_gives_a_valid_empty_file(string name)
    {
        var path = Path.Combine(_work, name);
        await using (var sink = ExportSinks.Open<TestKtoRow>(path, split: false, TextWriter.Null))
        {
            await sink.CompleteAsync(Card, CancellationToken.None);
        }

        if (name.EndsWith(".jsonl", StringComparison.Ordinal))
        {
            Assert.Equal(0, new FileInfo(path).Length);
            return;
        }

        await using (var stream = File.OpenRead(path))
        await using (var reader = await ParquetReader.CreateAsync(stream))
        {
            Assert.Equal(["prompt", "completion", "label", "metadata"], reader.Schema.Fields.Select(f => f.Name));
            long rows = 0;
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                using var group = reader.OpenRowGroupReader(g);
                rows += group.RowCount;
            }

            Assert.Equal(0, rows);
        }

        Assert.Empty(await ReadParquetAsync<TestKtoRow>(path));
    }

    [Theory]
    [InlineData("feedback.jsonl", "feedback.train.jsonl", "feedback.test.jsonl")]
    [InlineData("feedback.parquet", "feedback.train.parquet", "feedback.test.parquet")]
    public async Task A_split_to_one_file_name_writes_train_and_test_files(string name, string trainName, string testName)
    {
        var path = Path.Combine(_work, "out", name);
        await using (var sink = ExportSinks.Open<TestDpoRow>(path, split: true, TextWriter.Null))
        {
            for (var i = 0; i < 10; i++)
            {
                await sink.WriteAsync(TestRowFactory.Dpo(i), i < 7 ? ExportSplit.Train : ExportSplit.Test, CancellationToken.None);
            }

            await sink.CompleteAsync(Card, CancellationToken.None);
            Assert.Equal(7, sink.RowCount(ExportSplit.Train));
            Assert.Equal(3, sink.RowCount(ExportSplit.Test));
        }

        Assert.Equal([testName, trainName], Directory.EnumerateFiles(Path.Combine(_work, "out")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var train = await ReadPromptsAsync(Path.Combine(_work, "out", trainName));
        var test = await ReadPromptsAsync(Path.Combine(_work, "out", testName));
        Assert.Equal(Enumerable.Range(0, 7).Select(i => TestRowFactory.Dpo(i).Prompt), train);
        Assert.Equal(Enumerable.Range(7, 3).Select(i => TestRowFactory.Dpo(i).Prompt), test);
    }

    [Fact]
    public async Task A_dataset_folder_has_the_data_files_and_a_card_that_names_them()
    {
        var folder = Path.Combine(_work, "dataset") + "/";
        var rows = Enumerable.Range(0, 12).Select(TestRowFactory.Kto).ToList();
        await using (var sink = ExportSinks.Open<TestKtoRow>(folder, split: true, TextWriter.Null))
        {
            foreach (var row in rows)
            {
                await sink.WriteAsync(row, row.Metadata.PullRequest % 4 == 0 ? ExportSplit.Test : ExportSplit.Train, CancellationToken.None);
            }

            await sink.CompleteAsync(Card with { SplitFraction = 0.75, SplitSeed = 42 }, CancellationToken.None);
        }

        var root = Path.Combine(_work, "dataset");
        Assert.Equal(["README.md", "data/test-00000-of-00001.parquet", "data/train-00000-of-00001.parquet"],
            Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(root, f)).Order(StringComparer.Ordinal));
        Assert.Equal(9, (await ReadParquetAsync<TestKtoRow>(Path.Combine(root, "data/train-00000-of-00001.parquet"))).Count);
        Assert.Equal(3, (await ReadParquetAsync<TestKtoRow>(Path.Combine(root, "data/test-00000-of-00001.parquet"))).Count);

        var (frontMatter, body) = ReadCard(Path.Combine(root, "README.md"));
        var dataFiles = (YamlSequenceNode)((YamlMappingNode)((YamlSequenceNode)frontMatter["configs"])[0])["data_files"];
        Assert.Equal([("train", "data/train-00000-of-00001.parquet"), ("test", "data/test-00000-of-00001.parquet")],
            dataFiles.Cast<YamlMappingNode>().Select(m => (Scalar(m["split"]), Scalar(m["path"]))));

        var info = (YamlMappingNode)frontMatter["dataset_info"];
        var splits = ((YamlSequenceNode)info["splits"]).Cast<YamlMappingNode>().ToDictionary(m => Scalar(m["name"]), m => Scalar(m["num_examples"]));
        Assert.Equal(new Dictionary<string, string> { ["train"] = "9", ["test"] = "3" }, splits);

        var features = ((YamlSequenceNode)info["features"]).Cast<YamlMappingNode>().ToList();
        Assert.Equal(["prompt", "completion", "label", "metadata"], features.Select(f => Scalar(f["name"])));
        var promptItems = ((YamlSequenceNode)features[0]["list"]).Cast<YamlMappingNode>().ToList();
        Assert.Equal([("role", "string"), ("content", "string")], promptItems.Select(f => (Scalar(f["name"]), Scalar(f["dtype"]))));
        Assert.Equal("bool", Scalar(features[2]["dtype"]));
        var metadata = ((YamlSequenceNode)features[3]["struct"]).Cast<YamlMappingNode>().ToDictionary(f => Scalar(f["name"]));
        Assert.Equal("int32", Scalar(metadata["pull_request"]["dtype"]));
        Assert.Equal("int64", Scalar(metadata["comment_id"]["dtype"]));
        Assert.Equal("float64", Scalar(metadata["score"]["dtype"]));
        Assert.Equal("string", Scalar(metadata["rater_logins"]["list"]));
        Assert.Equal("timestamp[ms, tz=UTC]", Scalar(metadata["posted_at"]["dtype"]));
        Assert.Equal("timestamp[ns]", Scalar(metadata["rated_at"]["dtype"]));

        Assert.Contains("Explicit commands outweigh reactions; the **latest** verdict", body, StringComparison.Ordinal);
        Assert.Contains("| train | 9 | `data/train-00000-of-00001.parquet` |", body, StringComparison.Ordinal);
        Assert.Contains("| test | 3 | `data/test-00000-of-00001.parquet` |", body, StringComparison.Ordinal);
        Assert.Contains("| `prompt[].content` | string |", body, StringComparison.Ordinal);
        Assert.Contains("| `metadata.start_line` | int32 (nullable) |", body, StringComparison.Ordinal);
        Assert.Contains("| `label` | bool | The maintainers' verdict \\| true when confirmed. |", body, StringComparison.Ordinal);
        Assert.Contains("| conflicting verdicts | 2 |", body, StringComparison.Ordinal);
        Assert.Contains("criticbot 0.1.0+abc123 at 2026-11-29T01:02:03Z from a SQLite database", body, StringComparison.Ordinal);
        Assert.Contains("`--repo octo-org/octo\\|repo`", body, StringComparison.Ordinal);
        Assert.Contains("0.75 of pull requests to train, seed 42", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Re_exporting_a_folder_without_a_split_removes_the_old_test_file()
    {
        var folder = Path.Combine(_work, "dataset");
        await using (var sink = ExportSinks.Open<TestDpoRow>(folder, split: true, TextWriter.Null))
        {
            await sink.WriteAsync(TestRowFactory.Dpo(1), ExportSplit.Test, CancellationToken.None);
            await sink.CompleteAsync(Card, CancellationToken.None);
        }

        Assert.True(File.Exists(Path.Combine(folder, ExportSinks.TestDataFile)));
        await using (var sink = ExportSinks.Open<TestDpoRow>(folder, split: false, TextWriter.Null))
        {
            await sink.CompleteAsync(Card, CancellationToken.None);
        }

        Assert.False(File.Exists(Path.Combine(folder, ExportSinks.TestDataFile)));
        Assert.Empty(await ReadParquetAsync<TestDpoRow>(Path.Combine(folder, ExportSinks.TrainDataFile)));
        var (frontMatter, _) = ReadCard(Path.Combine(folder, "README.md"));
        var dataFiles = (YamlSequenceNode)((YamlMappingNode)((YamlSequenceNode)frontMatter["configs"])[0])["data_files"];
        Assert.Equal("train", Scalar(((YamlMappingNode)Assert.Single(dataFiles))["split"]));
    }

    [Theory]
    [InlineData("kto.parquet")]
    [InlineData("kto.jsonl")]
    [InlineData("dataset")]
    public async Task An_export_that_fails_before_completing_leaves_no_file_and_keeps_the_previous_one(string name)
    {
        var path = Path.Combine(_work, name);
        var previous = name == "dataset" ? Path.Combine(path, ExportSinks.TrainDataFile) : path;
        Directory.CreateDirectory(Path.GetDirectoryName(previous)!);
        await File.WriteAllTextAsync(previous, "the previous export");

        await using (var sink = ExportSinks.Open<TestKtoRow>(path, split: false, TextWriter.Null, new ParquetLimits { MaxRowsPerGroup = 2 }))
        {
            for (var i = 0; i < 5; i++)
            {
                await sink.WriteAsync(TestRowFactory.Kto(i), ExportSplit.Train, CancellationToken.None);
            }

            // No CompleteAsync: the query failed, or the user pressed Ctrl+C.
        }

        Assert.Equal("the previous export", await File.ReadAllTextAsync(previous));
        Assert.Equal([previous], Directory.EnumerateFiles(_work, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void An_existing_file_without_an_export_extension_is_refused()
    {
        var path = Path.Combine(_work, "notes.txt");
        File.WriteAllText(path, "mine");
        var error = Assert.Throws<ExportOutputException>(() => ExportSinks.Open<TestKtoRow>(path, split: false, TextWriter.Null));
        Assert.Contains("notes.txt", error.Message, StringComparison.Ordinal);
        Assert.Equal("mine", File.ReadAllText(path));
    }

    [Fact]
    public void Row_types_with_unsupported_properties_are_refused_before_any_file_exists()
    {
        Assert.Throws<NotSupportedException>(() => ExportSinks.Open<UnsupportedRow>(Path.Combine(_work, "x.parquet"), split: false, TextWriter.Null));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_work));
    }

    private sealed class UnsupportedRow
    {
        public required Dictionary<string, string> Map { get; init; }
    }

    private static async Task<IList<T>> ReadParquetAsync<T>(string path) where T : class, new()
    {
        await using var stream = File.OpenRead(path);
        return (await ParquetSerializer.DeserializeAsync<T>(stream)).Data;
    }

    private static async Task<List<string>> ReadPromptsAsync(string path)
    {
        if (path.EndsWith(".parquet", StringComparison.Ordinal))
        {
            return [.. (await ReadParquetAsync<TestDpoRow>(path)).Select(r => r.Prompt)];
        }

        var lines = await File.ReadAllLinesAsync(path);
        return [.. lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("prompt").GetString()!)];
    }

    private static (YamlMappingNode FrontMatter, string Body) ReadCard(string path)
    {
        var text = File.ReadAllText(path);
        Assert.StartsWith("---\n", text, StringComparison.Ordinal);
        var end = text.IndexOf("\n---\n", 4, StringComparison.Ordinal);
        Assert.True(end > 0, "the card's front matter is closed by ---");
        var yaml = new YamlStream();
        yaml.Load(new StringReader(text[4..(end + 1)]));
        return ((YamlMappingNode)yaml.Documents[0].RootNode, text[(end + 5)..]);
    }

    /// <summary>Parquet.Net's reader gives string columns as ReadOnlyMemory&lt;char&gt;.</summary>
    private static bool IsString(DataField field) => field.ClrType == typeof(string) || field.ClrType == typeof(ReadOnlyMemory<char>);

    private static string Scalar(YamlNode node) => ((YamlScalarNode)node).Value!;
}
