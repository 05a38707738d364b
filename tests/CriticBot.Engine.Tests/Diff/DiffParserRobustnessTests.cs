using System.Text;
using CriticBot.Engine.Chunking;
using CriticBot.Engine.Diff;

namespace CriticBot.Engine.Tests.Diff;

/// <summary>Mangled diffs never crash the parser, the index or the chunker; they only produce warnings.</summary>
public sealed class DiffParserRobustnessTests
{
    private const string Sample =
        "diff --git a/src/a.cs b/src/a.cs\nindex 1..2 100644\n--- a/src/a.cs\n+++ b/src/a.cs\n" +
        "@@ -1,4 +1,5 @@ class A\n one\n-two\n+TWO\n+2.5\n three\n four\n\\ No newline at end of file\n" +
        "diff --git \"a/sp ace\" \"b/sp\\303\\251ace\"\nsimilarity index 80%\nrename from \"sp ace\"\nrename to \"sp\\303\\251ace\"\n" +
        "--- \"a/sp ace\"\n+++ \"b/sp\\303\\251ace\"\n@@ -10 +10,2 @@\n x\n+y\n" +
        "diff --git a/bin b/bin\nGIT binary patch\nliteral 3\nKcmZQzU|;|M00aO5\n\nliteral 0\nHcmV?d00001\n\n" +
        "diff --git a/gone b/gone\ndeleted file mode 100644\n--- a/gone\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a\n-b\n";

    [Fact]
    public void Sample_parses_cleanly()
    {
        var diff = DiffParser.Parse(Sample);

        Assert.Empty(diff.Warnings);
        Assert.Equal(["src/a.cs", "spéace", "bin", "gone"], diff.Files.Select(f => f.Path));
    }

    [Fact]
    public void Random_mutations_never_throw()
    {
        var lines = Sample.Split('\n');
        var chunker = new DiffChunker(new CharCounter());
        for (var seed = 0; seed < 400; seed++)
        {
            var random = new Random(seed);
            var mutated = lines.ToList();
            for (var edit = 0; edit < 1 + random.Next(4); edit++)
            {
                var at = random.Next(mutated.Count);
                switch (random.Next(5))
                {
                    case 0:
                        mutated.RemoveAt(at);
                        break;
                    case 1:
                        mutated.Insert(at, mutated[random.Next(mutated.Count)]);
                        break;
                    case 2:
                        mutated[at] = mutated[at][..random.Next(mutated[at].Length + 1)];
                        break;
                    case 3:
                        mutated.Insert(at, "@@ -" + random.Next(-5, 99999) + " +" + random.Next(3) + ",9 @@");
                        break;
                    default:
                        mutated[at] += "\"\\" + (char)random.Next(0, 0xFFFF);
                        break;
                }
            }

            var text = string.Join('\n', mutated);
            var fromString = DiffParser.Parse(text);
            var fromBytes = DiffParser.Parse(Encoding.UTF8.GetBytes(text));
            var index = new DiffIndex(fromString);
            foreach (var file in fromString.Files.Concat(fromBytes.Files))
            {
                _ = index.IsCommentable(file.Path, 1 + random.Next(12), DiffSide.Right);
                _ = index.CanSpan(file.Path, 1, 10, DiffSide.Left);
                _ = ChunkRenderer.RenderFile(file);
            }

            var plan = chunker.Plan(fromString, new ChunkingOptions { MaxChunkTokens = 60 });
            Assert.Equal(fromString.Files.Count, plan.FilesReviewed + plan.SkippedFiles.Count);
        }
    }

    private sealed class CharCounter : ITokenCounter
    {
        public int Count(string text) => text.Length;
    }
}
