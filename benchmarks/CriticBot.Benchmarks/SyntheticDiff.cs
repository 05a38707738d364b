using System.Globalization;
using System.Text;

namespace CriticBot.Benchmarks;

/// <summary>
/// A large, realistic-looking <c>git diff</c>, the same for every run: many files (some added, deleted, renamed),
/// several hunks each with context, added and removed lines of code-like text of varied length.
/// </summary>
internal static class SyntheticDiff
{
    private static readonly string[] Words =
    [
        "var", "result", "=", "await", "client", ".GetAsync(", "request", ");", "if", "(", "count", ">", "0", ")", "{", "}",
        "return", "null;", "foreach", "item", "in", "items", "logger.LogInformation(", "\"value {Value}\"", "value", "+",
        "options.MaxChunkTokens", "throw", "new", "InvalidOperationException(", "cancellationToken", "string", "int",
        "private", "static", "readonly", "public", "sealed", "record", "=>", "&&", "||", "!=", "// why this matters",
    ];

    public static string Generate(int targetBytes, int seed = 42)
    {
        var random = new Random(seed);
        var text = new StringBuilder(targetBytes + (1 << 20));
        var line = new StringBuilder(200);
        for (var fileNumber = 0; text.Length < targetBytes; fileNumber++)
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"src/Module{fileNumber % 97}/Feature{fileNumber}/File{fileNumber}.cs");
            var kind = random.Next(20);
            var added = kind == 0;
            var deleted = kind == 1;
            var renamed = kind == 2;
            var oldPath = renamed ? path.Replace("File", "OldFile", StringComparison.Ordinal) : path;

            text.Append(CultureInfo.InvariantCulture, $"diff --git a/{oldPath} b/{path}\n");
            if (added)
                text.Append("new file mode 100644\n");
            else if (deleted)
                text.Append("deleted file mode 100644\n");
            else if (renamed)
                text.Append(CultureInfo.InvariantCulture, $"similarity index 91%\nrename from {oldPath}\nrename to {path}\n");
            text.Append(CultureInfo.InvariantCulture, $"index {random.Next():x7}..{random.Next():x7} 100644\n");
            text.Append(added ? "--- /dev/null\n" : $"--- a/{oldPath}\n");
            text.Append(deleted ? "+++ /dev/null\n" : $"+++ b/{path}\n");

            if (added || deleted)
            {
                var count = random.Next(20, 400);
                text.Append(added
                    ? string.Create(CultureInfo.InvariantCulture, $"@@ -0,0 +1,{count} @@\n")
                    : string.Create(CultureInfo.InvariantCulture, $"@@ -1,{count} +0,0 @@\n"));
                for (var i = 0; i < count; i++)
                    text.Append(added ? '+' : '-').Append(CodeLine(random, line)).Append('\n');
                continue;
            }

            var oldLine = 1;
            var newLine = 1;
            var hunks = random.Next(1, 9);
            for (var h = 0; h < hunks; h++)
            {
                var gap = random.Next(5, 200);
                oldLine += gap;
                newLine += gap;
                var body = new List<(char Marker, string Text)>();
                var context = 3;
                for (var i = 0; i < context; i++)
                    body.Add((' ', CodeLine(random, line)));
                var changes = random.Next(1, 40);
                for (var i = 0; i < changes; i++)
                {
                    var roll = random.Next(10);
                    body.Add((roll < 5 ? '+' : roll < 8 ? '-' : ' ', CodeLine(random, line)));
                }

                for (var i = 0; i < context; i++)
                    body.Add((' ', CodeLine(random, line)));

                var oldCount = body.Count(b => b.Marker != '+');
                var newCount = body.Count(b => b.Marker != '-');
                text.Append(CultureInfo.InvariantCulture, $"@@ -{oldLine},{oldCount} +{newLine},{newCount} @@ public void Method{h}()\n");
                foreach (var (marker, content) in body)
                    text.Append(marker).Append(content).Append('\n');
                oldLine += oldCount;
                newLine += newCount;
            }
        }

        return text.ToString();
    }

    private static string CodeLine(Random random, StringBuilder line)
    {
        line.Clear();
        // Mostly indented statements of 20-100 characters, some blank lines, a few long ones.
        var roll = random.Next(100);
        if (roll < 8)
            return "";
        var target = roll < 95 ? random.Next(20, 100) : random.Next(100, 180);
        line.Append(' ', 4 * random.Next(1, 5));
        while (line.Length < target)
            line.Append(Words[random.Next(Words.Length)]).Append(' ');
        return line.ToString(0, line.Length - 1);
    }
}
