using CriticBot.Engine.Critic;

namespace CriticBot.Engine.Tests.Critic;

public sealed class CritiqueParserTests
{
    private const string Json = """{"comments":[{"path":"a.cs","line":12,"end_line":14,"quote":"x = 1","severity":"bug","body":"wrong"}]}""";

    [Fact]
    public void Reads_raw_json()
    {
        var parsed = CritiqueParser.Parse(Json);
        Assert.True(parsed.Ok);
        var highlight = Assert.Single(parsed.Highlights);
        Assert.Equal(("a.cs", 12, 14, "x = 1", Severity.Bug, "wrong"),
            (highlight.Path, highlight.Line, highlight.EndLine, highlight.Quote, highlight.Severity, highlight.Body));
    }

    [Fact]
    public void Reads_json_in_a_fence()
    {
        var parsed = CritiqueParser.Parse($"```json\n{Json}\n```");
        Assert.True(parsed.Ok);
        Assert.Single(parsed.Highlights);
    }

    [Fact]
    public void Reads_json_inside_prose_skipping_objects_without_comments()
    {
        var parsed = CritiqueParser.Parse($"Sure! Config: {{\"a\": 1}}. Here it is:\n{Json}\nHope it helps {{");
        Assert.True(parsed.Ok);
        Assert.Equal("x = 1", Assert.Single(parsed.Highlights).Quote);
    }

    [Fact]
    public void Ignores_unknown_fields_and_reads_numeric_strings_and_any_case()
    {
        var parsed = CritiqueParser.Parse("""{"verdict":"meh","comments":[{"path":"a.cs","line":"7","quote":"q()","severity":"BUG","body":"b","confidence":0.9}]}""");
        var highlight = Assert.Single(parsed.Highlights);
        Assert.Equal((7, Severity.Bug, "BUG"), (highlight.Line, highlight.Severity, highlight.SeverityLabel));
    }

    [Theory]
    [InlineData("Nit", Severity.Nit)]
    [InlineData("risk", Severity.Risk)]
    [InlineData("critical", Severity.Bug)]
    [InlineData("spooky", Severity.Risk)]
    public void Severity_labels_are_normalised_and_unknown_ones_become_risk(string label, Severity expected)
    {
        var parsed = CritiqueParser.Parse($$"""{"comments":[{"path":"a","quote":"abc","severity":"{{label}}","body":"b"}]}""");
        Assert.Equal(expected, Assert.Single(parsed.Highlights).Severity);
    }

    [Fact]
    public void A_missing_severity_becomes_risk_and_a_missing_line_is_null()
    {
        var highlight = Assert.Single(CritiqueParser.Parse("""{"comments":[{"path":"a","quote":"abc","body":"b"}]}""").Highlights);
        Assert.Equal((Severity.Risk, (int?)null), (highlight.Severity, highlight.Line));
    }

    [Fact]
    public void Entries_without_a_quote_or_body_are_left_out_and_counted()
    {
        var parsed = CritiqueParser.Parse("""{"comments":[{"path":"a","quote":"","body":"b"},{"path":"a","quote":"abc"},7,{"path":"a","quote":"abc","body":"ok"}]}""");
        Assert.True(parsed.Ok);
        Assert.Single(parsed.Highlights);
        Assert.Equal(3, parsed.InvalidEntries);
    }

    [Fact]
    public void An_empty_comments_array_is_a_valid_answer()
    {
        var parsed = CritiqueParser.Parse("""{"comments":[]}""");
        Assert.True(parsed.Ok);
        Assert.Empty(parsed.Highlights);
    }

    [Theory]
    [InlineData("""{"comments":[{"path":"a.cs","line":12,"quote":"x = 1","severity":"bug","bo""")]
    [InlineData("I could not find any problems.")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("""{"comments": "none"}""")]
    [InlineData("""{"findings":[]}""")]
    [InlineData("```json\n{\"comments\":[\n```")]
    public void Truncated_or_garbage_answers_are_not_ok(string text)
    {
        var parsed = CritiqueParser.Parse(text);
        Assert.False(parsed.Ok);
        Assert.False(string.IsNullOrEmpty(parsed.Error));
        Assert.Empty(parsed.Highlights);
    }

    [Fact]
    public void Braces_inside_strings_do_not_confuse_the_object_search()
    {
        var parsed = CritiqueParser.Parse("""Answer: {"comments":[{"path":"a","quote":"if (x) { y(); }","body":"a } brace"}]} done""");
        Assert.Equal("if (x) { y(); }", Assert.Single(parsed.Highlights).Quote);
    }

    [Fact]
    public void An_answer_past_the_size_limit_is_refused_without_being_searched()
    {
        var huge = "{\"comments\":[]}" + new string(' ', CritiqueParser.MaxAnswerLength);
        var parsed = CritiqueParser.Parse(huge);
        Assert.False(parsed.Ok);
        Assert.Contains("over the", parsed.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Deeply_unbalanced_braces_before_the_answer_do_not_hide_it_or_take_long()
    {
        // 200 stray opens (within the bounded starts), then the real object.
        var text = new string('{', 200) + " prose " + "{\"comments\":[{\"path\":\"a.py\",\"line\":1,\"quote\":\"x = 1\",\"severity\":\"bug\",\"body\":\"b\"}]}";
        var parsed = CritiqueParser.Parse(text);
        Assert.True(parsed.Ok, parsed.Error);
        Assert.Single(parsed.Highlights);

        // Tens of thousands of stray opens: refused quickly as not parseable (bounded work), never a hang.
        Assert.False(CritiqueParser.Parse(new string('{', 30_000)).Ok);
    }

    [Fact]
    public void Bodies_and_labels_are_capped_and_over_long_quotes_and_paths_are_left_out()
    {
        var longBody = new string('b', CritiqueParser.MaxBodyLength * 3);
        var json = System.Text.Json.JsonSerializer.Serialize(new
        {
            comments = new object[]
            {
                new { path = "a.cs", quote = "x = 1", severity = new string('s', 1000), body = longBody },
                new { path = "a.cs", quote = new string('q', CritiqueParser.MaxQuoteLength + 1), body = "b" },
                new { path = new string('p', CritiqueParser.MaxPathLength + 1), quote = "x", body = "b" },
            },
        });

        var parsed = CritiqueParser.Parse(json);

        var highlight = Assert.Single(parsed.Highlights);
        Assert.Equal(CritiqueParser.MaxBodyLength, highlight.Body.Length);
        Assert.EndsWith("…", highlight.Body, StringComparison.Ordinal);
        Assert.Equal(CritiqueParser.MaxSeverityLabelLength, highlight.SeverityLabel!.Length);
        Assert.Equal(2, parsed.InvalidEntries);
    }

    [Fact]
    public void At_most_MaxHighlights_are_read_from_one_answer()
    {
        var entries = string.Join(",", Enumerable.Range(0, CritiqueParser.MaxHighlights + 50)
            .Select(i => $$"""{"path":"a.cs","quote":"x{{i}}","body":"b"}"""));

        var parsed = CritiqueParser.Parse($$"""{"comments":[{{entries}}]}""");

        Assert.Equal(CritiqueParser.MaxHighlights, parsed.Highlights.Count);
        Assert.Equal(50, parsed.InvalidEntries);
    }
}
