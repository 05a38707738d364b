using System.Text;
using CriticBot.Engine.Chunking;
using CriticBot.Engine.Diff;
using Microsoft.ML.Tokenizers;

namespace CriticBot.Engine.Tests.Chunking;

/// <summary>
/// The fast counter must give exactly what the o200k tokenizer gives: on text of every kind, on random text, and on a
/// rendered diff counted line by line; and the chunker must plan exactly as when it counted whole rendered texts.
/// </summary>
public sealed class TokenCountingTests
{
    private static readonly TiktokenTokenizer Reference = TiktokenTokenizer.CreateForEncoding("o200k_base");

    /// <summary>Counts whole texts with the tokenizer itself, one at a time: the way the chunker counted before.</summary>
    private sealed class WholeTextCounter : ITokenCounter
    {
        public int Count(string text) => string.IsNullOrEmpty(text) ? 0 : Reference.CountTokens(text);
    }

    public static TheoryData<string, string> Samples() => new()
    {
        { "python", "def handler(request, retries=3):\n    if not request:\n        return None  # nothing to do\n    for i in range(len(items) + 1):\n        total += items[i] ** 2\n    return f\"{total:.2f}\"\n" },
        { "go", "func (s *Server) Handle(w http.ResponseWriter, r *http.Request) {\n\tctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)\n\tdefer cancel()\n\tif err := s.db.PingContext(ctx); err != nil {\n\t\thttp.Error(w, err.Error(), 500)\n\t}\n}\n" },
        { "rust", "impl<'a, T: Clone + Send> Iterator for Chunks<'a, T> {\n    type Item = &'a [T];\n    fn next(&mut self) -> Option<Self::Item> { self.inner.next().map(|x| &x[..]) }\n}\n" },
        { "sql", "SELECT u.id, COUNT(*) AS n FROM users u LEFT JOIN orders o ON o.user_id = u.id WHERE u.created_at >= '2024-01-01' GROUP BY u.id HAVING n > 10;\n" },
        { "yaml crlf", "name: ci\r\non:\r\n  push:\r\n    branches: [ main ]\r\n\r\n\r\njobs:\r\n  build:\r\n    runs-on: ubuntu-latest\r\n" },
        { "minified js", "!function(e,t){\"object\"==typeof exports&&\"undefined\"!=typeof module?module.exports=t():\"function\"==typeof define&&define.amd?define(t):(e=e||self).Foo=t()}(this,function(){\"use strict\";var e=/^[a-z0-9_$]+$/i;return function(t,n){for(var r=0,o=t.length;r<o;r++)if(!e.test(t[r]))return!1;return!0}});" },
        { "long identifiers", "AbstractSingletonProxyFactoryBeanDefinitionRegistryPostProcessorConfigurationHelper.getInstanceOrCreateDefaultImplementationForTestingPurposesOnly(HTTPServerURLConnectionIOExceptionHandler)\n" },
        { "whitespace runs", "a  b   c\t\t\td    \n\n\n    \t  \n  x\n\n  \n\r\n \r \v\f end   " },
        { "numbers", "0x7fffffff 1234567890 3.14159e-10 1_000_000 -42 +7 00001 123456789012345678901234567890\n" },
        { "contractions", "don't I'LL we're they've she's it'd I'm 'S 'sx can'tt O'Reilly's\n" },
        { "punctuation", "=> -> <= >= != !== === ?? ?. ::<> /* */ // /// <!-- --> #[derive(Debug)] @@ -1,3 +1,4 @@ ### ... ;;\n//\n/\n" },
        { "controls", "a\u0001b\u007fc\u001b[31mred\u001b[0m\u0000z\n" },
        { "special-token text", "before <|endoftext|> after <|im_start|>user\n" },
        { "german", "Größenänderung übernehmen: Straße, Fußgänger, Äpfel.\n" },
        { "cjk and emoji", "日本語のテキスト 中文文本 한국어 🎉🚀 café naïve\n" },
        { "cyrillic", "функция возвращает значение, если условие выполнено\n" },
        { "mixed", "var résumé = \"naïve\"; // ok\n    let x = 1;  \n" },
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public void Counts_equal_the_tokenizer_on_text_of_every_kind(string kind, string text)
    {
        var counter = new TiktokenTokenCounter();
        Assert.True(Reference.CountTokens(text) == counter.Count(text), kind);

        // Twice: the second count comes from remembered pre-tokens.
        Assert.Equal(Reference.CountTokens(text), counter.Count(text));
    }

    [Fact]
    public void Counts_equal_the_tokenizer_on_this_repository_s_sources()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "CriticBot.sln")))
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found");

        var counter = new TiktokenTokenCounter();
        var files = new[] { "src", "docs", "scripts", "benchmarks" }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(root, folder), "*.*", SearchOption.AllDirectories))
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && Path.GetExtension(path) is ".cs" or ".md" or ".sh" or ".py" or ".json" or ".yml" or ".csproj")
            .ToList();
        Assert.True(files.Count > 50, $"{files.Count} files");
        foreach (var path in files)
        {
            var text = File.ReadAllText(path);
            Assert.True(Reference.CountTokens(text) == counter.Count(text), path);
        }
    }

    [Fact]
    public void Counts_equal_the_tokenizer_on_random_ascii_text()
    {
        // Letters of both cases, digits, every kind of whitespace, contraction pieces, slashes and other punctuation.
        const string alphabet = "aAbZz09 \t\n\r\v\f'sStTrReEvVlLmMdD/.,;:!?()[]{}<>|-+_=*&^%$#@~`\"\\\u0001\u007f";
        var random = new Random(20261129);
        var counter = new TiktokenTokenCounter();
        for (var i = 0; i < 20_000; i++)
        {
            var chars = new char[random.Next(1, 40)];
            for (var k = 0; k < chars.Length; k++)
                chars[k] = alphabet[random.Next(alphabet.Length)];
            var text = new string(chars);
            Assert.True(Reference.CountTokens(text) == counter.Count(text), Escape(text));
        }
    }

    [Fact]
    public void A_rendered_diff_counted_line_by_line_equals_counting_its_text_whole()
    {
        var diff = HostileDiff();
        var counter = new TiktokenTokenCounter();
        foreach (var parsed in new[] { DiffParser.Parse(diff), DiffParser.Parse(Encoding.UTF8.GetBytes(diff)) })
        {
            Assert.Empty(parsed.Warnings);
            Assert.Equal(3, parsed.Files.Count);
            foreach (var file in parsed.Files)
            {
                Assert.Equal(Reference.CountTokens(ChunkRenderer.RenderFile(file)), counter.CountRendered(file));
                foreach (var hunk in file.Hunks)
                    Assert.Equal(Reference.CountTokens(ChunkRenderer.RenderHunk(hunk)), counter.CountRendered(hunk));
            }
        }
    }

    [Theory]
    [InlineData(6000)]
    [InlineData(300)]
    [InlineData(40)]
    public void The_chunker_plans_exactly_as_when_it_counted_whole_texts_one_at_a_time(int maxChunkTokens)
    {
        // Enough files to be counted in parallel; budgets that pack files, split files at hunks and cut hunks and lines.
        var text = new StringBuilder();
        for (var i = 0; i < 120; i++)
            text.Append(FileOfCode(i));
        text.Append(HostileDiff());
        var diff = DiffParser.Parse(Encoding.UTF8.GetBytes(text.ToString()));
        var options = new ChunkingOptions { MaxChunkTokens = maxChunkTokens, SkipDeletedFiles = false };

        var fast = new DiffChunker(new TiktokenTokenCounter()).Plan(diff, options);
        var whole = new DiffChunker(new WholeTextCounter()).Plan(diff, options);

        Assert.Equal(whole.Chunks.Count, fast.Chunks.Count);
        for (var i = 0; i < whole.Chunks.Count; i++)
        {
            Assert.Equal(whole.Chunks[i].EstimatedTokens, fast.Chunks[i].EstimatedTokens);
            Assert.Equal(whole.Chunks[i].Text, fast.Chunks[i].Text);
        }

        Assert.Equal(whole.Truncations, fast.Truncations);
        Assert.Equal(whole.SkippedFiles, fast.SkippedFiles);
        Assert.Equal(whole.EstimatedPromptTokens, fast.EstimatedPromptTokens);
        Assert.Equal((whole.FilesReviewed, whole.HunksReviewed), (fast.FilesReviewed, fast.HunksReviewed));
    }

    [Fact]
    public void A_chunk_s_text_is_its_files_rendered_with_a_blank_line_between_them()
    {
        var diff = DiffParser.Parse(FileOfCode(1) + FileOfCode(2));
        var chunk = Assert.Single(new DiffChunker(new TiktokenTokenCounter()).Plan(diff, new ChunkingOptions()).Chunks);
        Assert.Equal(ChunkRenderer.RenderFile(diff.Files[0]) + "\n" + ChunkRenderer.RenderFile(diff.Files[1]), chunk.Text);
    }

    private static string FileOfCode(int number)
    {
        var path = $"src/module{number % 7}/file{number}.py";
        var text = new StringBuilder($"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n");
        var random = new Random(number);
        var line = 1;
        for (var hunk = 0; hunk < 1 + (number % 4); hunk++)
        {
            var added = 2 + random.Next(12);
            text.Append($"@@ -{line},2 +{line},{added + 2} @@ def function_{hunk}():\n");
            text.Append($" def function_{hunk}(request, retries={number}):\n");
            for (var i = 0; i < added; i++)
                text.Append($"+    value_{i} = request.get(\"key-{number}-{i}\", {{}}).items()  # why: {random.Next()}\n");
            text.Append("     return None\n");
            line += 100;
        }

        return text.ToString();
    }

    /// <summary>CRLF, non-ASCII, tabs, trailing whitespace, "\ No newline", a special-token string, a very long line.</summary>
    private static string HostileDiff() =>
        "diff --git a/weird.txt b/weird.txt\r\n--- a/weird.txt\r\n+++ b/weird.txt\r\n" +
        "@@ -1,3 +1,5 @@\r\n context line   \r\n-old\t\tvalue\r\n+new value ;\r\n+Größe: 日本語 🎉\r\n \r\n+<|endoftext|> x\r\n\\ No newline at end of file\r\n" +
        "diff --git a/b.js b/b.js\n--- a/b.js\n+++ b/b.js\n" +
        "@@ -10,2 +10,3 @@ function f() {\n   return a;//\n+" + string.Concat(Enumerable.Repeat("x=y+1;", 2000)) + "\n }\n" +
        "diff --git a/c.md b/c.md\nnew file mode 100644\n--- /dev/null\n+++ b/c.md\n" +
        "@@ -0,0 +1,3 @@\n+# Title\n+\n+Don't    stop /* nothing */   \n";

    private static string Escape(string text) => string.Concat(text.Select(c => c < ' ' || c == '\u007f' ? $"\\u{(int)c:x4}" : c.ToString()));
}
