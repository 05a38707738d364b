using System.Text;
using CriticBot.Engine.Chunking;
using CriticBot.Engine.Diff;

namespace CriticBot.Engine.Tests.Chunking;

public sealed class DiffChunkerTests
{
    /// <summary>One token per line: budgets in tests read as line counts.</summary>
    private sealed class LineCounter : ITokenCounter
    {
        public int Count(string text) => text.Count(c => c == '\n') + (text.Length > 0 && text[^1] != '\n' ? 1 : 0);
    }

    /// <summary>One token per character, so that a single long line can exceed a budget.</summary>
    private sealed class CharCounter : ITokenCounter
    {
        public int Count(string text) => text.Length;
    }

    private static readonly ChunkingOptions NoFilters = new() { SkipGeneratedFiles = false, SkipDeletedFiles = false };

    private static string Header(string path) => $"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n";

    /// <summary>A file with <paramref name="hunks"/> hunks, each a context line, <paramref name="added"/> added lines, a context line.</summary>
    private static string FileText(string path, int hunks, int added)
    {
        var text = new StringBuilder(Header(path));
        for (var h = 0; h < hunks; h++)
        {
            var start = 1 + (h * 100);
            text.Append($"@@ -{start},2 +{start + (h * added)},{added + 2} @@\n ctx{h}a\n");
            for (var i = 0; i < added; i++)
                text.Append($"+h{h} line {i}\n");
            text.Append($" ctx{h}b\n");
        }

        return text.ToString();
    }

    [Fact]
    public void Small_files_are_packed_together_in_diff_order()
    {
        var diff = DiffParser.Parse(FileText("a.cs", 1, 1) + FileText("b.cs", 1, 1) + FileText("c.cs", 1, 1));

        // Each file renders as 5 lines; three files plus two blank lines = 17.
        var plan = new DiffChunker(new LineCounter()).Plan(diff, NoFilters with { MaxChunkTokens = 17 });

        var chunk = Assert.Single(plan.Chunks);
        Assert.Equal(["a.cs", "b.cs", "c.cs"], chunk.Files.Select(f => f.Path));
        Assert.Equal(17, chunk.EstimatedTokens);
        Assert.Equal((3, 3, 17), (plan.FilesReviewed, plan.HunksReviewed, plan.EstimatedPromptTokens));
        Assert.Empty(plan.Truncations);
        Assert.Same(diff.Files[0], chunk.Files[0]);
    }

    [Fact]
    public void Files_that_do_not_fit_start_a_new_chunk()
    {
        var diff = DiffParser.Parse(FileText("a.cs", 1, 1) + FileText("b.cs", 1, 1) + FileText("c.cs", 1, 1));

        var plan = new DiffChunker(new LineCounter()).Plan(diff, NoFilters with { MaxChunkTokens = 16 });

        Assert.Equal([0, 1], plan.Chunks.Select(c => c.Index));
        Assert.Equal([["a.cs", "b.cs"], ["c.cs"]], plan.Chunks.Select(c => c.Files.Select(f => f.Path).ToArray()));
        Assert.All(plan.Chunks, c => Assert.InRange(c.EstimatedTokens, 1, 16));
        Assert.Empty(plan.Truncations);
    }

    [Fact]
    public void Big_file_is_split_at_hunk_boundaries()
    {
        // Whole file: 1 header + 3 hunks of (1 header + 5 lines) = 19 lines.
        var diff = DiffParser.Parse(FileText("big.cs", 3, 3));

        var plan = new DiffChunker(new LineCounter()).Plan(diff, NoFilters with { MaxChunkTokens = 14 });

        Assert.Equal(2, plan.Chunks.Count);
        var first = Assert.Single(plan.Chunks[0].Files);
        var second = Assert.Single(plan.Chunks[1].Files);
        Assert.Equal([1, 101], first.Hunks.Select(h => h.OldStart));
        Assert.Equal([201], second.Hunks.Select(h => h.OldStart));
        Assert.Equal((6, 0), (first.Additions, first.Deletions));
        Assert.Equal(3, second.Additions);
        Assert.StartsWith("### FILE: big.cs (modified)\n@@ -201,2 +207,5 @@\n", plan.Chunks[1].Text);
        Assert.Equal(["big.cs: split across 2 chunks"], plan.Truncations);
        Assert.Equal((1, 3), (plan.FilesReviewed, plan.HunksReviewed));
    }

    [Fact]
    public void Hunk_bigger_than_the_budget_is_split_at_lines_with_renumbered_pieces()
    {
        var text = new StringBuilder(Header("huge.cs")).Append("@@ -10,20 +10,50 @@ Main()\n");
        for (var i = 0; i < 20; i++)
            text.Append($" keep {i}\n+new {i}\n").Append(i % 2 == 0 ? "+more\n" : "");
        var diff = DiffParser.Parse(text.ToString());
        Assert.Empty(diff.Warnings);

        // Room per piece: 12 - 1 file header - 1 hunk header = 10 lines; 50 lines make 5 pieces.
        var plan = new DiffChunker(new LineCounter()).Plan(diff, NoFilters with { MaxChunkTokens = 12 });

        var pieces = plan.Chunks.SelectMany(c => c.Files).SelectMany(f => f.Hunks).ToList();
        Assert.Equal(5, pieces.Count);
        Assert.All(pieces, p => Assert.Equal(10, p.Lines.Count));
        Assert.All(pieces, p => Assert.Equal("Main()", p.Section));
        Assert.Equal(
            diff.Files[0].Hunks[0].Lines,
            pieces.SelectMany(p => p.Lines));
        // The first line of each piece: its numbers are the piece's starts.
        foreach (var piece in pieces)
        {
            Assert.Equal(piece.Lines.First(l => l.OldLine > 0).OldLine, piece.OldStart);
            Assert.Equal(piece.Lines.First(l => l.NewLine > 0).NewLine, piece.NewStart);
            Assert.Equal(piece.Lines.Count(l => l.OldLine > 0), piece.OldCount);
            Assert.Equal(piece.Lines.Count(l => l.NewLine > 0), piece.NewCount);
        }

        Assert.Equal((14, 20), (pieces[1].OldStart, pieces[1].NewStart));
        Assert.Contains("huge.cs: hunk at +10 split into 5 pieces", plan.Truncations);
        Assert.Contains("huge.cs: split across 5 chunks", plan.Truncations);
        Assert.All(plan.Chunks, c => Assert.InRange(c.EstimatedTokens, 1, 12));
    }

    [Fact]
    public void Piece_of_only_added_lines_uses_gits_empty_side_start()
    {
        var text = new StringBuilder(Header("a.cs")).Append("@@ -5,1 +5,7 @@\n ctx\n");
        for (var i = 0; i < 6; i++)
            text.Append($"+a{i}\n");

        var plan = new DiffChunker(new LineCounter()).Plan(DiffParser.Parse(text.ToString()), NoFilters with { MaxChunkTokens = 5 });

        var pieces = plan.Chunks.SelectMany(c => c.Files).SelectMany(f => f.Hunks).ToList();
        Assert.Equal([(5, 1, 5, 3), (5, 0, 8, 3), (5, 0, 11, 1)], pieces.Select(p => (p.OldStart, p.OldCount, p.NewStart, p.NewCount)));
    }

    [Fact]
    public void Single_line_bigger_than_the_budget_is_cut_and_reported()
    {
        var longLine = new string('x', 1000);
        var diff = DiffParser.Parse(Header("min.txt") + $"@@ -1,2 +1,2 @@\n-old\n+{longLine}\n ok\n");

        var plan = new DiffChunker(new CharCounter()).Plan(diff, NoFilters with { MaxChunkTokens = 200 });

        var lines = plan.Chunks.SelectMany(c => c.Files).SelectMany(f => f.Hunks).SelectMany(h => h.Lines).ToList();
        Assert.Equal(["old", "ok"], lines.Where(l => l.Kind != DiffLineKind.Added).Select(l => l.Text));
        var cut = Assert.Single(lines, l => l.Kind == DiffLineKind.Added);
        Assert.InRange(cut.Text.Length, 100, 199);
        Assert.StartsWith(cut.Text, longLine, StringComparison.Ordinal);
        Assert.Contains($"min.txt: line +1 cut to {cut.Text.Length} of 1000 characters", plan.Truncations);
        Assert.All(plan.Chunks, c => Assert.InRange(c.EstimatedTokens, 1, 200));
    }

    [Fact]
    public void Skipped_files_are_listed_with_reasons_and_not_chunked()
    {
        var text =
            FileText("src/a.cs", 1, 1) +
            FileText("package-lock.json", 1, 1) +
            "diff --git a/gone.cs b/gone.cs\ndeleted file mode 100644\n--- a/gone.cs\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n" +
            "diff --git a/img.png b/img.png\nBinary files a/img.png and b/img.png differ\n";

        var plan = new DiffChunker(new LineCounter()).Plan(DiffParser.Parse(text), new ChunkingOptions());

        Assert.Equal(
            [new SkippedFile("package-lock.json", "lockfile"), new SkippedFile("gone.cs", "deleted"), new SkippedFile("img.png", "binary")],
            plan.SkippedFiles);
        Assert.Equal("src/a.cs", Assert.Single(Assert.Single(plan.Chunks).Files).Path);
        Assert.Equal(1, plan.FilesReviewed);
    }

    [Fact]
    public void Nothing_to_review_gives_no_chunks()
    {
        var plan = new DiffChunker(new LineCounter()).Plan(ParsedDiff.Empty, new ChunkingOptions());

        Assert.Empty(plan.Chunks);
        Assert.Equal((0, 0, 0), (plan.FilesReviewed, plan.HunksReviewed, plan.EstimatedPromptTokens));
    }

    [Fact]
    public void Plans_are_deterministic()
    {
        var diff = DiffParser.Parse(FileText("a.cs", 4, 7) + FileText("b.cs", 2, 30) + FileText("c.cs", 1, 2));
        var options = NoFilters with { MaxChunkTokens = 20 };

        var first = new DiffChunker(new LineCounter()).Plan(diff, options);
        var second = new DiffChunker(new LineCounter()).Plan(diff, options);

        Assert.Equal(first.Chunks.Select(c => c.Text), second.Chunks.Select(c => c.Text));
        Assert.Equal(first.Truncations, second.Truncations);
    }

    [Fact]
    public void Every_changed_line_is_in_exactly_one_chunk_with_the_real_tokenizer()
    {
        var text = new StringBuilder();
        for (var f = 0; f < 6; f++)
            text.Append(FileText($"src/file{f}.cs", 1 + f, 5 + (f * 20)));
        var diff = DiffParser.Parse(text.ToString());
        var options = NoFilters with { MaxChunkTokens = 300 };

        var plan = new DiffChunker(new TiktokenTokenCounter()).Plan(diff, options);

        var expected = diff.Files.SelectMany(f => f.Hunks.SelectMany(h => h.Lines).Select(l => (f.Path, l))).ToList();
        var actual = plan.Chunks.SelectMany(c => c.Files).SelectMany(f => f.Hunks.SelectMany(h => h.Lines).Select(l => (f.Path, l))).ToList();
        Assert.Equal(expected, actual);
        Assert.True(plan.Chunks.Count > 1);
        // Token counts of the parts add up to the whole only roughly; allow a few tokens of slack.
        Assert.All(plan.Chunks, c => Assert.InRange(c.EstimatedTokens, 1, 310));
        Assert.Equal(plan.Chunks.Sum(c => c.EstimatedTokens), plan.EstimatedPromptTokens);
    }

    [Theory]
    [InlineData(6000)]
    [InlineData(150)]
    [InlineData(40)]
    public void A_chunks_packed_token_count_stays_within_a_token_per_piece_of_counting_its_text_whole(int maxChunkTokens)
    {
        var text = new StringBuilder();
        for (var file = 0; file < 30; file++)
        {
            text.Append(Header($"src/feature{file}/handler_{file}.py"));
            text.Append($"@@ -1,3 +1,{4 + (file % 5)} @@\n def handle_{file}(request, retries=3):\n");
            for (var line = 0; line < 2 + (file % 5); line++)
            {
                text.Append($"+    result_{line} = request.get(\"key-{file}-{line}\", {{}}).items()  # €{line}\n");
            }

            text.Append("     return None\n \n");
        }

        var counter = new TiktokenTokenCounter();
        var plan = new DiffChunker(counter).Plan(DiffParser.Parse(text.ToString()), NoFilters with { MaxChunkTokens = maxChunkTokens });

        Assert.NotEmpty(plan.Chunks);
        foreach (var chunk in plan.Chunks)
        {
            var pieces = chunk.Files.Sum(f => f.Hunks.Count) + chunk.Files.Count;
            var exact = counter.Count(chunk.Text);
            Assert.True(Math.Abs(chunk.EstimatedTokens - exact) <= pieces, $"chunk {chunk.Index}: packed {chunk.EstimatedTokens}, exact {exact}, {pieces} pieces");
        }
    }
}
