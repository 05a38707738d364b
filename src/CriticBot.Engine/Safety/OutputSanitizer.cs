using System.Text;
using System.Text.RegularExpressions;

namespace CriticBot.Engine.Safety;

/// <summary>
/// Makes model-written Markdown safe to post as the bot: nobody is pinged (<c>@user</c>,
/// <c>@org/team</c> get a zero-width joiner after the <c>@</c>), no issue is cross-referenced
/// (<c>#123</c> likewise), raw HTML tags are escaped, images are replaced by their alt text, and
/// links to hosts other than the repository's become plain text. Code spans and fenced blocks keep
/// their text (GitHub shows it literally), but mentions in them are neutralised too, in case the
/// Markdown around them is broken. The text is capped at a maximum length.
/// </summary>
public sealed partial class OutputSanitizer
{
    public const int DefaultMaxLength = 4000;

    /// <summary>U+200D: invisible, and GitHub no longer sees a mention or a reference.</summary>
    public const char Joiner = '\u200D';

    private const string Ellipsis = "\n\n…(truncated)";

    private readonly string _repositoryHost;
    private readonly int _maxLength;

    public OutputSanitizer(string repositoryHost = "github.com", int maxLength = DefaultMaxLength)
    {
        _repositoryHost = string.IsNullOrWhiteSpace(repositoryHost) ? "github.com" : repositoryHost.Trim().ToLowerInvariant();
        _maxLength = Math.Max(Ellipsis.Length + 1, maxLength);
    }

    /// <summary>Sanitises a comment body (Markdown).</summary>
    public string Sanitize(string? markdown)
    {
        if (string.IsNullOrEmpty(markdown))
        {
            return "";
        }

        var text = Cap(markdown.Replace("\r\n", "\n", StringComparison.Ordinal));
        var output = new StringBuilder(text.Length + 16);
        foreach (var (segment, isCode) in SplitCode(text))
        {
            output.Append(isCode ? NeutraliseMentions(segment) : SanitizeProse(segment));
        }

        return output.ToString();
    }

    /// <summary>Sanitises code shown verbatim (a quote): the text stays, but it cannot ping anyone.</summary>
    public static string SanitizeCode(string? code) => string.IsNullOrEmpty(code) ? "" : NeutraliseMentions(code);

    private string Cap(string text)
    {
        if (text.Length <= _maxLength)
        {
            return text;
        }

        var cut = _maxLength - Ellipsis.Length;
        if (char.IsHighSurrogate(text[cut - 1]))
        {
            cut--;
        }

        var capped = text[..cut];

        // A fence left open by the cut would turn the notice into code; close it.
        if (FenceLine().Count(capped) % 2 == 1)
        {
            capped += "\n```";
        }

        return capped + Ellipsis;
    }

    /// <summary>Splits Markdown into prose and code (fenced blocks and inline code spans), in order.</summary>
    private static IEnumerable<(string Text, bool IsCode)> SplitCode(string text)
    {
        var position = 0;
        var prose = new StringBuilder();
        while (position < text.Length)
        {
            var atLineStart = position == 0 || text[position - 1] == '\n';
            var fence = atLineStart ? FenceOpen().Match(text, position) : Match.Empty;
            if (fence.Success && fence.Index == position)
            {
                var marker = fence.Groups["fence"].Value;
                var closeAt = FindFenceClose(text, position + fence.Length, marker);
                if (prose.Length > 0)
                {
                    yield return (prose.ToString(), false);
                    prose.Clear();
                }

                yield return (text[position..closeAt], true);
                position = closeAt;
                continue;
            }

            if (text[position] == '`')
            {
                var run = CountRun(text, position, '`');
                var close = FindBacktickRun(text, position + run, run);
                if (close >= 0)
                {
                    if (prose.Length > 0)
                    {
                        yield return (prose.ToString(), false);
                        prose.Clear();
                    }

                    yield return (text[position..(close + run)], true);
                    position = close + run;
                    continue;
                }

                // An unmatched backtick run is literal text in Markdown.
                prose.Append(text, position, run);
                position += run;
                continue;
            }

            prose.Append(text[position]);
            position++;
        }

        if (prose.Length > 0)
        {
            yield return (prose.ToString(), false);
        }
    }

    /// <summary>The index just after the closing fence line, or the end of the text (an unclosed fence runs to the end).</summary>
    private static int FindFenceClose(string text, int from, string marker)
    {
        var lineStart = text.IndexOf('\n', from);
        while (lineStart >= 0)
        {
            lineStart++;
            var lineEnd = text.IndexOf('\n', lineStart);
            var line = lineEnd < 0 ? text[lineStart..] : text[lineStart..lineEnd];
            var trimmed = line.TrimStart(' ');
            if (line.Length - trimmed.Length <= 3
                && trimmed.StartsWith(marker, StringComparison.Ordinal)
                && trimmed.TrimEnd().All(c => c == marker[0]))
            {
                return lineEnd < 0 ? text.Length : lineEnd;
            }

            lineStart = lineEnd;
        }

        return text.Length;
    }

    private static int CountRun(string text, int start, char c)
    {
        var end = start;
        while (end < text.Length && text[end] == c)
        {
            end++;
        }

        return end - start;
    }

    private static int FindBacktickRun(string text, int from, int length)
    {
        for (var i = text.IndexOf('`', from); i >= 0; i = text.IndexOf('`', i))
        {
            var run = CountRun(text, i, '`');
            if (run == length)
            {
                return i;
            }

            i += run;
        }

        return -1;
    }

    private string SanitizeProse(string prose) => ProseHazard().Replace(prose, match =>
    {
        if (match.Groups["image"].Success)
        {
            var alt = match.Groups["alt"].Success ? match.Groups["alt"].Value : match.Groups["alt2"].Value;
            return SanitizeProse(alt);
        }

        if (match.Groups["link"].Success)
        {
            var label = SanitizeProse(match.Groups["label"].Value);
            var url = match.Groups["url"].Value.Trim();
            return IsAllowedUrl(url) ? $"[{label}]({url})" : label;
        }

        if (match.Groups["refdef"].Success)
        {
            var url = match.Groups["refurl"].Value;
            return IsAllowedUrl(url) ? match.Value : $"{match.Groups["refhead"].Value}{InlineCode(url)}";
        }

        if (match.Groups["autolink"].Success)
        {
            var url = match.Groups["autourl"].Value;
            return IsAllowedUrl(url) ? match.Value : InlineCode(url);
        }

        if (match.Groups["bare"].Success)
        {
            return IsAllowedUrl(match.Value) ? match.Value : InlineCode(match.Value);
        }

        if (match.Groups["html"].Success)
        {
            return "&lt;" + match.Value[1..];
        }

        // A mention or an issue reference.
        return match.Value[..1] + Joiner + match.Value[1..];
    });

    private bool IsAllowedUrl(string url)
    {
        var target = url.Trim().Trim('<', '>');
        if (target.StartsWith("www.", StringComparison.OrdinalIgnoreCase))
        {
            target = "https://" + target;
        }

        if (Uri.TryCreate(target, UriKind.Absolute, out var absolute))
        {
            return (absolute.Scheme == Uri.UriSchemeHttps || absolute.Scheme == Uri.UriSchemeHttp)
                && string.Equals(absolute.Host, _repositoryHost, StringComparison.OrdinalIgnoreCase);
        }

        // A relative link stays on the repository's host; a scheme we could not parse does not.
        return !target.Contains(':', StringComparison.Ordinal) && !target.StartsWith("//", StringComparison.Ordinal);
    }

    /// <summary>Shows text as inline code, which GitHub never turns into a link.</summary>
    private static string InlineCode(string text)
    {
        var clean = NeutraliseMentions(text.Replace("`", "", StringComparison.Ordinal));
        return $"`{clean}`";
    }

    private static string NeutraliseMentions(string text) => Mention().Replace(text, m => m.Value[..1] + Joiner + m.Value[1..]);

    [GeneratedRegex(@"(?<image>!\[(?<alt>[^\]\n]*)\]\((?<imgurl>[^)\n]*)\)|!\[(?<alt2>[^\]\n]*)\]\[[^\]\n]*\])" +
                    @"|(?<link>\[(?<label>[^\]\n]*)\]\((?<url>(?:[^()\s]|\([^()\s]*\))*)(?:\s+""[^""\n]*"")?\))" +
                    @"|(?<refdef>(?<refhead>^[ ]{0,3}\[[^\]\n]+\]:[ \t]*)(?<refurl>\S+))" +
                    @"|(?<autolink><(?<autourl>[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>]*)>)" +
                    @"|(?<bare>(?i:https?://|www\.)[^\s<>()\[\]`]+)" +
                    @"|(?<html></?[A-Za-z!?][^>\n]*>?)" +
                    @"|(?<mention>@(?=[A-Za-z0-9]))" +
                    @"|(?<issue>#(?=[0-9]))",
                    RegexOptions.CultureInvariant | RegexOptions.Multiline)]
    private static partial Regex ProseHazard();

    [GeneratedRegex(@"@(?=[A-Za-z0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex Mention();

    [GeneratedRegex(@"\G[ ]{0,3}(?<fence>`{3,}|~{3,})", RegexOptions.CultureInvariant)]
    private static partial Regex FenceOpen();

    [GeneratedRegex(@"^[ ]{0,3}(`{3,}|~{3,})", RegexOptions.CultureInvariant | RegexOptions.Multiline)]
    private static partial Regex FenceLine();
}
