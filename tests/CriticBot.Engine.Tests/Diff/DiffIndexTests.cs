using CriticBot.Testing.Git;
using CriticBot.Engine.Diff;

namespace CriticBot.Engine.Tests.Diff;

public sealed class DiffIndexTests
{
    // src/a.cs has two hunks:
    //   hunk 0: old 1..4, new 1..4   (old 2 removed, new 2 added)
    //   hunk 1: old 10..12, new 10..13 (old 11 removed, new 11 and 12 added; "twelve" is old 12 / new 13)
    // gone.txt is deleted: old 1..2 only.
    private const string TwoHunks =
        "diff --git a/src/a.cs b/src/a.cs\n--- a/src/a.cs\n+++ b/src/a.cs\n" +
        "@@ -1,4 +1,4 @@\n one\n-two\n+TWO\n three\n four\n" +
        "@@ -10,3 +10,4 @@\n ten\n-eleven\n+ELEVEN\n+ELEVEN.5\n twelve\n" +
        "diff --git a/gone.txt b/gone.txt\ndeleted file mode 100644\n--- a/gone.txt\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-x\n-y\n";

    private readonly DiffIndex _index = new(DiffParser.Parse(TwoHunks));

    [Theory]
    [InlineData(1, true)] // context
    [InlineData(2, true)] // added
    [InlineData(4, true)] // context, last of hunk 0
    [InlineData(5, false)] // between hunks
    [InlineData(9, false)]
    [InlineData(10, true)]
    [InlineData(12, true)]
    [InlineData(13, true)]
    [InlineData(14, false)]
    [InlineData(0, false)]
    [InlineData(-1, false)]
    public void Right_side_accepts_added_and_context_lines_by_new_number(int line, bool expected) =>
        Assert.Equal(expected, _index.IsCommentable("src/a.cs", line, DiffSide.Right));

    [Theory]
    [InlineData(1, true)] // context
    [InlineData(2, true)] // removed
    [InlineData(4, true)]
    [InlineData(5, false)]
    [InlineData(10, true)]
    [InlineData(11, true)] // removed
    [InlineData(12, true)] // context "twelve" is old 12
    [InlineData(13, false)] // new 13 exists, old 13 does not
    public void Left_side_accepts_removed_and_context_lines_by_old_number(int line, bool expected) =>
        Assert.Equal(expected, _index.IsCommentable("src/a.cs", line, DiffSide.Left));

    [Fact]
    public void Span_must_stay_within_one_hunk()
    {
        Assert.True(_index.CanSpan("src/a.cs", 1, 4, DiffSide.Right));
        Assert.True(_index.CanSpan("src/a.cs", 10, 13, DiffSide.Right));
        Assert.False(_index.CanSpan("src/a.cs", 3, 10, DiffSide.Right)); // two hunks
        Assert.False(_index.CanSpan("src/a.cs", 4, 4, DiffSide.Right)); // start must be before end
        Assert.False(_index.CanSpan("src/a.cs", 4, 2, DiffSide.Right));
        Assert.False(_index.CanSpan("src/a.cs", 12, 14, DiffSide.Right)); // end outside
        Assert.True(_index.CanSpan("src/a.cs", 10, 12, DiffSide.Left));
        Assert.False(_index.CanSpan("src/a.cs", 10, 13, DiffSide.Left));
        Assert.False(_index.CanSpan("nope.cs", 1, 2, DiffSide.Right));
    }

    [Fact]
    public void Hunk_lookup_returns_the_containing_hunk()
    {
        Assert.Equal(10, _index.HunkAt("src/a.cs", 13, DiffSide.Right)?.NewStart);
        Assert.Equal(1, _index.HunkAt("src/a.cs", 2, DiffSide.Left)?.OldStart);
        Assert.Null(_index.HunkAt("src/a.cs", 7, DiffSide.Right));
        Assert.Null(_index.HunkAt("other", 1, DiffSide.Right));
    }

    [Fact]
    public void Deleted_file_is_found_by_old_path_and_commentable_only_on_the_left()
    {
        Assert.Equal(FileChangeKind.Deleted, _index.FindFile("gone.txt")?.Kind);
        Assert.True(_index.IsCommentable("gone.txt", 2, DiffSide.Left));
        Assert.False(_index.IsCommentable("gone.txt", 1, DiffSide.Right));
        Assert.True(_index.CanSpan("gone.txt", 1, 2, DiffSide.Left));
    }

    [Fact]
    public void Unknown_paths_and_files_without_hunks_are_never_commentable()
    {
        var index = new DiffIndex(DiffParser.Parse("diff --git a/x b/x\nold mode 100644\nnew mode 100755\n"));

        Assert.NotNull(index.FindFile("x"));
        Assert.Null(index.FindFile("y"));
        Assert.Null(index.FindFile(null!));
        Assert.False(index.IsCommentable("x", 1, DiffSide.Right));
        Assert.False(index.IsCommentable(null!, 1, DiffSide.Right));
    }

    [Fact]
    public void Renamed_file_is_found_by_new_path_only()
    {
        var index = new DiffIndex(DiffParser.Parse(
            "diff --git a/old.cs b/new.cs\nsimilarity index 90%\nrename from old.cs\nrename to new.cs\n--- a/old.cs\n+++ b/new.cs\n@@ -3 +3 @@\n-a\n+b\n"));

        Assert.True(index.IsCommentable("new.cs", 3, DiffSide.Right));
        Assert.True(index.IsCommentable("new.cs", 3, DiffSide.Left));
        Assert.Null(index.FindFile("old.cs"));
    }

    [Fact]
    public void Hand_built_hunks_with_gaps_and_overlaps_are_answered_exactly()
    {
        var gappy = new DiffHunk
        {
            OldStart = 1, OldCount = 2, NewStart = 1, NewCount = 2,
            Lines = [new(DiffLineKind.Context, 1, 1, "a"), new(DiffLineKind.Context, 5, 5, "b")],
        };
        var overlapping = gappy with { Lines = [new(DiffLineKind.Added, 0, 5, "c"), new(DiffLineKind.Added, 0, 6, "d")] };
        var index = new DiffIndex(new ParsedDiff { Files = [new FileDiff { Path = "h", Hunks = [gappy, overlapping] }] });

        Assert.True(index.IsCommentable("h", 1, DiffSide.Right));
        Assert.False(index.IsCommentable("h", 3, DiffSide.Right));
        Assert.Same(gappy, index.HunkAt("h", 5, DiffSide.Right)); // first hunk wins
        Assert.Same(overlapping, index.HunkAt("h", 6, DiffSide.Right));
        Assert.False(index.CanSpan("h", 5, 6, DiffSide.Right));
    }

    [Fact]
    public void Every_parsed_line_of_a_real_diff_is_commentable_on_its_sides()
    {
        using var repo = new GitScratchRepo();
        var original = string.Concat(Enumerable.Range(1, 200).Select(i => $"row {i}\n"));
        repo.WriteFile("big.txt", original);
        repo.Commit();
        repo.WriteFile("big.txt", original.Replace("row 20\n", "row twenty\nrow 20.5\n").Replace("row 150\n", "").Replace("row 100\n", "row hundred\n"));

        var diff = DiffParser.Parse(repo.DiffAgainstHead());
        var index = new DiffIndex(diff);
        var file = diff.Files.Single();

        Assert.Equal(3, file.Hunks.Count);
        var rightLines = new HashSet<int>();
        var leftLines = new HashSet<int>();
        foreach (var hunk in file.Hunks)
        {
            foreach (var line in hunk.Lines)
            {
                if (line.NewLine > 0)
                {
                    rightLines.Add(line.NewLine);
                    Assert.Same(hunk, index.HunkAt("big.txt", line.NewLine, DiffSide.Right));
                }

                if (line.OldLine > 0)
                {
                    leftLines.Add(line.OldLine);
                    Assert.Same(hunk, index.HunkAt("big.txt", line.OldLine, DiffSide.Left));
                }
            }
        }

        for (var n = 1; n <= 205; n++)
        {
            Assert.Equal(rightLines.Contains(n), index.IsCommentable("big.txt", n, DiffSide.Right));
            Assert.Equal(leftLines.Contains(n), index.IsCommentable("big.txt", n, DiffSide.Left));
        }
    }
}
