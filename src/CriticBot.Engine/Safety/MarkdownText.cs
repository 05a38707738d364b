using System.Text;

namespace CriticBot.Engine.Safety;

/// <summary>
/// Writes untrusted text into Markdown so that it reads back as the same text and nothing more: Markdown syntax is
/// escaped, <c>&lt;</c> becomes an entity (so no HTML and no hidden marker can form), and what GitHub would turn into
/// a mention, a cross-reference or a link in plain text gets an invisible joiner that breaks the pattern.
/// </summary>
public static class MarkdownText
{
    /// <summary>U+200D: invisible, and GitHub no longer sees a mention, a reference or a URL.</summary>
    public const char Joiner = '\u200D';

    /// <summary>The opening of an HTML comment, the form of every hidden marker the bot writes.</summary>
    public const string CommentOpen = "<!--";

    /// <summary>
    /// Plain text as Markdown source that renders as exactly this text (apart from invisible joiners), on one
    /// line or several. Control characters other than new lines and tabs are dropped.
    /// </summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var lines = text.ReplaceLineEndings("\n").Split('\n');
        var output = new StringBuilder(text.Length + 16);
        for (var i = 0; i < lines.Length; i++)
        {
            if (i > 0)
            {
                output.Append('\n');
            }

            output.Append(EscapeLineStart(EscapeInline(lines[i].TrimStart(' ', '\t'))));
        }

        return output.ToString();
    }

    /// <summary>
    /// Text inside a paragraph: every character with a meaning in GitHub's Markdown is escaped, and mentions,
    /// references and bare URLs are broken. Line starts are not handled here (see <see cref="EscapeLineStart"/>).
    /// </summary>
    internal static string EscapeInline(string text)
    {
        var output = new StringBuilder(text.Length + 8);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var next = i + 1 < text.Length ? text[i + 1] : '\0';
            switch (c)
            {
                case '\\' or '`' or '*' or '_' or '[' or ']' or '~' or '|' or '$' or '^':
                    output.Append('\\').Append(c);
                    break;
                case '<':
                    output.Append("&lt;");
                    break;
                case '&':
                    output.Append(char.IsAsciiLetterOrDigit(next) || next == '#' ? "&amp;" : "&");
                    break;
                case '@' or '\uFF20' or '\uFE6B':
                    output.Append(c);
                    if (next != '\0' && !char.IsWhiteSpace(next))
                    {
                        output.Append(Joiner);
                    }

                    break;
                case '#' or '\uFF03' or '\uFE5F':
                    output.Append(c);
                    if (char.IsDigit(next))
                    {
                        output.Append(Joiner);
                    }

                    break;
                case '-' when char.IsDigit(next) && i >= 2 && (text[i - 2] is 'G' or 'g') && (text[i - 1] is 'H' or 'h'):
                    // GH-12 is a reference to issue 12.
                    output.Append('-').Append(Joiner);
                    break;
                case ':' when next == '/' && i + 2 < text.Length && text[i + 2] == '/':
                    // scheme://host is a link in GitHub's plain text; scheme:\u200D//host is not.
                    output.Append(':').Append(Joiner);
                    break;
                case '.' when i >= 3 && text.AsSpan(i - 3, 3).Equals("www", StringComparison.OrdinalIgnoreCase):
                    output.Append(Joiner).Append('.');
                    break;
                default:
                    if (!IsDroppedControl(c))
                    {
                        output.Append(c);
                    }

                    break;
            }
        }

        return output.ToString();
    }

    /// <summary>
    /// Escapes what would start a block at the beginning of a line (a heading, a quote, a list item, a setext
    /// underline, an indented code block) in a line of already escaped inline text.
    /// </summary>
    internal static string EscapeLineStart(string line)
    {
        var trimmed = line.TrimStart(' ', '\t');
        if (trimmed.Length == 0)
        {
            return "";
        }

        var first = trimmed[0];
        if (first is '#' or '>' or '-' or '+' or '=')
        {
            return "\\" + trimmed;
        }

        var digits = 0;
        while (digits < trimmed.Length && char.IsAsciiDigit(trimmed[digits]))
        {
            digits++;
        }

        if (digits > 0 && digits < trimmed.Length && trimmed[digits] is '.' or ')')
        {
            return string.Concat(trimmed.AsSpan(0, digits), "\\", trimmed.AsSpan(digits));
        }

        return trimmed;
    }

    /// <summary>
    /// Code shown verbatim (a code span or block, a quote from the diff). GitHub renders neither Markdown nor
    /// mentions in code, but the text still must not ping anyone if the Markdown around it is broken, nor carry
    /// the opening of an HTML comment, which is how the bot's hidden markers begin.
    /// </summary>
    public static string DefuseCode(string? code)
    {
        if (string.IsNullOrEmpty(code))
        {
            return "";
        }

        var output = new StringBuilder(code.Length + 8);
        for (var i = 0; i < code.Length; i++)
        {
            var c = code[i];
            if (IsDroppedControl(c))
            {
                continue;
            }

            output.Append(c);
            var next = i + 1 < code.Length ? code[i + 1] : '\0';
            if ((c is '@' or '\uFF20' or '\uFE6B' && char.IsAsciiLetterOrDigit(next))
                || (c == '-' && i >= 2 && code[i - 2] == '<' && code[i - 1] == '!' && next == '-'))
            {
                output.Append(Joiner);
            }
        }

        return output.ToString();
    }

    /// <summary>
    /// Text from a pull request or a repository (a path, a configuration error) as one inline code span: on one
    /// line, at most <paramref name="maxLength"/> characters, with no way to close the span early, ping anyone or
    /// form a marker.
    /// </summary>
    public static string InlineCode(string? text, int maxLength = 300)
    {
        var oneLine = DefuseCode((text ?? "").ReplaceLineEndings(" ").Replace('\t', ' '));
        if (oneLine.Length > maxLength)
        {
            var cut = Math.Max(1, maxLength - 1);
            if (char.IsHighSurrogate(oneLine[cut - 1]))
            {
                cut--;
            }

            oneLine = oneLine[..cut] + "…";
        }

        return CodeSpan(oneLine, inTable: false);
    }

    /// <summary>A code span around <paramref name="content"/>: a backtick run longer than any inside it.</summary>
    internal static string CodeSpan(string content, bool inTable)
    {
        if (content.Length == 0 || content.All(char.IsWhiteSpace))
        {
            // An empty or blank span is not a code span; show nothing rather than stray backticks.
            return "";
        }

        if (inTable)
        {
            // Cells are split on pipes before code spans are parsed.
            content = content.Replace("|", "\\|", StringComparison.Ordinal);
        }

        var fence = new string('`', LongestRun(content, '`') + 1);
        var pad = content[0] == '`' || content[^1] == '`' || (content[0] == ' ' && content[^1] == ' ') ? " " : "";
        return fence + pad + content + pad + fence;
    }

    /// <summary>Text for one cell of a Markdown table: on one line, its pipes escaped.</summary>
    public static string TableCell(string text) => text.ReplaceLineEndings(" ").Replace("|", "\\|", StringComparison.Ordinal);

    public static int LongestRun(string text, char c)
    {
        int longest = 0, run = 0;
        foreach (var ch in text)
        {
            run = ch == c ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        return longest;
    }

    /// <summary>C0 controls other than new line and tab, DEL, C1 controls, and Unicode's bidirectional overrides.</summary>
    internal static bool IsDroppedControl(char c) =>
        (c < ' ' && c is not '\n' and not '\t')
        || c is '\u007F'
        || (c >= '\u0080' && c <= '\u009F')
        || c is '\u202A' or '\u202B' or '\u202C' or '\u202D' or '\u202E' or '\u2066' or '\u2067' or '\u2068' or '\u2069';
}
