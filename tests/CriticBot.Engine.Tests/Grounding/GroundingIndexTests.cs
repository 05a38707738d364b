using CriticBot.Engine.Critic;
using CriticBot.Engine.Diff;
using CriticBot.Engine.Grounding;
using static CriticBot.Engine.Tests.Grounding.HunkBuilder;

namespace CriticBot.Engine.Tests.Grounding;

public sealed class GroundingIndexTests
{
    // New lines 10..16 in hunk 1 (old 10..15), new lines 40..42 in hunk 2.
    private static readonly FileDiff Calc = File("src/calc.py",
        Hunk(10, 10,
            " def total(items):",
            "-    return sum(items)",
            "+    result = 0",
            "+    for i in range(len(items) + 1):",
            "+        result += items[i]",
            "+    return result",
            " ",
            "-# old comment line"),
        Hunk(38, 40,
            " def mean(items):",
            "+    return total(items) / len(items)",
            " "));

    private static readonly GroundingIndex Index = new([Calc, File("src/other.py", Hunk(1, 1, "+    return result"))]);

    private static RawHighlight Highlight(string quote, int? line = null, string path = "src/calc.py", int? endLine = null) => new()
    {
        Path = path,
        Line = line,
        EndLine = endLine,
        Quote = quote,
        Severity = Severity.Bug,
        Body = "b",
    };

    [Fact]
    public void Anchors_on_the_line_where_the_quote_is_not_where_the_model_says()
    {
        var result = Index.Ground(Highlight("for i in range(len(items) + 1):", line: 9));
        Assert.Equal(new Anchor { Path = "src/calc.py", Side = DiffSide.Right, StartLine = 12, Line = 12 }, result.Anchor);
    }

    [Fact]
    public void Ignores_white_space_differences_and_matches_part_of_a_line()
    {
        var result = Index.Ground(Highlight("range( len(items)+1 )", line: 12));
        Assert.Equal((DiffSide.Right, 12, 12), (result.Anchor!.Side, result.Anchor.StartLine, result.Anchor.Line));
    }

    [Fact]
    public void A_multi_line_quote_anchors_a_range_on_the_lines_it_spans()
    {
        var result = Index.Ground(Highlight("for i in range(len(items) + 1):\n        result += items[i]", line: 15));
        Assert.Equal((12, 13), (result.Anchor!.StartLine, result.Anchor.Line));
        Assert.True(result.Anchor.IsMultiLine);
    }

    [Fact]
    public void A_quote_of_a_removed_line_anchors_on_the_left_with_the_old_number()
    {
        var result = Index.Ground(Highlight("return sum(items)", line: 11));
        Assert.Equal((DiffSide.Left, 11, 11), (result.Anchor!.Side, result.Anchor.StartLine, result.Anchor.Line));
    }

    [Fact]
    public void Several_matches_are_resolved_by_the_nearest_claimed_line()
    {
        var file = File("a.cs", Hunk(1, 1, "+x = compute();", " y = 1;", "+x = compute();"), Hunk(50, 50, "+x = compute();"));
        var index = new GroundingIndex([file]);
        Assert.Equal(3, index.Ground(Highlight("x = compute();", line: 4, path: "a.cs")).Anchor!.Line);
        Assert.Equal(50, index.Ground(Highlight("x = compute();", line: 47, path: "a.cs")).Anchor!.Line);
        Assert.Equal(1, index.Ground(Highlight("x = compute();", line: null, path: "a.cs")).Anchor!.Line);
    }

    [Fact]
    public void The_right_side_is_preferred_over_the_left()
    {
        var file = File("a.cs", Hunk(5, 5, "-    call(a);", "+    call(a);  "));
        var result = new GroundingIndex([file]).Ground(Highlight("call(a);", line: 5, path: "a.cs"));
        Assert.Equal(DiffSide.Right, result.Anchor!.Side);
    }

    [Fact]
    public void A_removed_line_the_model_points_at_wins_over_the_same_code_added_elsewhere()
    {
        // git's own diff of swapping two bodies: "return a - b" is added at new 2 and removed at old 5.
        var file = File("calc.py", Hunk(1, 1,
            " def add(a, b):",
            "-    return a + b",
            "+    return a - b",
            " ",
            " def sub(a, b):",
            "-    return a - b",
            "+    return a + b"));
        var index = new GroundingIndex([file]);

        Assert.Equal((DiffSide.Left, 5), Place(index.Ground(Highlight("return a - b", line: 5, path: "calc.py"))));
        Assert.Equal((DiffSide.Left, 2), Place(index.Ground(Highlight("-2 |     return a + b", line: 2, path: "calc.py"))));

        // The model's number still decides for the added copies.
        Assert.Equal((DiffSide.Right, 2), Place(index.Ground(Highlight("return a - b", line: 2, path: "calc.py"))));
        Assert.Equal((DiffSide.Right, 5), Place(index.Ground(Highlight("return a + b", line: 5, path: "calc.py"))));
    }

    [Fact]
    public void Unchanged_lines_stay_on_the_right_whatever_number_the_model_gives()
    {
        // Context "y = 1;" is old 20 and new 30; a number near the old one must not move it to the left side.
        var file = File("a.cs", Hunk(20, 30, " y = 1;", "+z = 2;"));
        var result = new GroundingIndex([file]).Ground(Highlight("y = 1;", line: 20, path: "a.cs"));
        Assert.Equal((DiffSide.Right, 30), Place(result));
    }

    [Fact]
    public void A_line_only_reindented_stays_on_the_right_unless_the_model_names_the_removed_line()
    {
        // As in humanevalpack go/16: "\tcount := 0" (old 3) became "    count := 0" (new 2).
        var file = File("a.go", Hunk(1, 1, " func f() {", "-    lower := x", "-\tcount := 0", "+    count := 0", " \tset := 1"));
        var index = new GroundingIndex([file]);
        Assert.Equal((DiffSide.Right, 2), Place(index.Ground(Highlight("count := 0", line: 5, path: "a.go"))));
        Assert.Equal((DiffSide.Left, 3), Place(index.Ground(Highlight("count := 0", line: 3, path: "a.go"))));
    }

    private static (DiffSide, int) Place(GroundingResult result) => (result.Anchor!.Side, result.Anchor.Line);

    [Theory]
    [InlineData("+12 |     for i in range(len(items) + 1):")]
    [InlineData(" 12 | for i in range(len(items) + 1):")]
    [InlineData("+    for i in range(len(items) + 1):")]
    [InlineData("@@ -10,6 +10,7 @@\n+12 |     for i in range(len(items) + 1):")]
    public void Diff_markers_and_numbers_copied_into_the_quote_are_ignored(string quote)
    {
        Assert.Equal(12, Index.Ground(Highlight(quote, line: 12)).Anchor!.Line);
    }

    [Fact]
    public void A_hallucinated_quote_is_ungrounded()
    {
        var result = Index.Ground(Highlight("items.sort(reverse=True)", line: 12));
        Assert.Null(result.Anchor);
        Assert.Equal(GroundingFailure.QuoteNotFound, result.Failure);
        Assert.NotNull(result.Reason);
    }

    [Theory]
    [InlineData("}")]
    [InlineData(" i ")]
    [InlineData("+12 | ")]
    public void A_quote_too_short_to_mean_anything_is_ungrounded(string quote)
    {
        Assert.Equal(GroundingFailure.QuoteTooShort, Index.Ground(Highlight(quote, line: 12)).Failure);
    }

    [Fact]
    public void A_quote_found_only_in_another_file_is_ungrounded()
    {
        var result = Index.Ground(Highlight("return total(items) / len(items)", path: "src/other.py"));
        Assert.Equal(GroundingFailure.QuoteNotFound, result.Failure);
    }

    [Fact]
    public void A_file_not_in_the_diff_is_ungrounded()
    {
        Assert.Equal(GroundingFailure.FileNotInDiff, Index.Ground(Highlight("return result", path: "src/missing.py")).Failure);
    }

    [Theory]
    [InlineData("b/src/calc.py")]
    [InlineData("./src/calc.py")]
    [InlineData("/src/calc.py")]
    public void Path_prefixes_the_model_adds_are_tolerated(string path)
    {
        Assert.Equal("src/calc.py", Index.Ground(Highlight("return result", path: path)).Anchor!.Path);
    }

    [Fact]
    public void A_quote_crossing_two_hunks_is_ungrounded_and_says_so()
    {
        var result = Index.Ground(Highlight("# old comment line\ndef mean(items):", line: 15));
        Assert.Equal(GroundingFailure.CrossesHunk, result.Failure);
        Assert.Equal(GroundingFailure.QuoteNotFound, Index.Ground(Highlight("# old comment line\ndef median(items):", line: 15)).Failure);
    }

    [Fact]
    public void A_range_never_mixes_sides()
    {
        // "return sum(items)" is only on the left, "result = 0" only on the right: no one side holds both.
        var result = Index.Ground(Highlight("return sum(items)\n    result = 0", line: 11));
        Assert.Null(result.Anchor);
    }
}
