using System.Text;
using System.Text.RegularExpressions;
using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace CriticBot.Engine.Safety;

/// <summary>
/// Makes model-written Markdown safe to post as the bot. The text is parsed as GitHub parses it (CommonMark with
/// GitHub's autolinks and tables, <see cref="GitHubMarkdown"/>), and the tree is written back by
/// <see cref="SafeMarkdownRenderer"/> so that the result renders as no raw HTML (comments included), no image, no
/// link off the repository, no mention, no cross-reference and no <c>suggestion</c> block. The result is parsed
/// again and checked; should the check ever fail, the whole text is posted as a plain code block instead. The
/// result is at most the maximum length.
/// </summary>
public sealed partial class OutputSanitizer
{
    public const int DefaultMaxLength = 4000;

    /// <summary>U+200D: invisible, and GitHub no longer sees a mention or a reference.</summary>
    public const char Joiner = MarkdownText.Joiner;

    private const string Notice = "\n\n…(truncated)";

    private readonly LinkPolicy _links;
    private readonly SafeMarkdownRenderer _renderer;
    private readonly int _maxLength;

    /// <param name="repositoryHost">Links may point to this host...</param>
    /// <param name="maxLength">The longest result, in characters.</param>
    /// <param name="repository">...under this repository (OWNER/NAME); null allows relative links only.</param>
    public OutputSanitizer(string repositoryHost = "github.com", int maxLength = DefaultMaxLength, string? repository = null)
    {
        _links = new LinkPolicy(repositoryHost, repository);
        _renderer = new SafeMarkdownRenderer(_links);
        _maxLength = Math.Max(Notice.Length + 16, maxLength);
    }

    /// <summary>Sanitises a comment body (Markdown).</summary>
    public string Sanitize(string? markdown)
    {
        if (string.IsNullOrEmpty(markdown))
        {
            return "";
        }

        // Terminal escape sequences and control characters have no place in a comment, nor in the CLI's output of it.
        var text = TerminalText.Clean(markdown.ReplaceLineEndings("\n"));
        var input = text.Length > _maxLength ? Cut(text, _maxLength - Notice.Length) : text;
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var output = Render(input) + (input.Length < text.Length ? Notice : "");
            if (output.Length <= _maxLength)
            {
                return output;
            }

            // Escapes made it longer than allowed: keep proportionally less of the input.
            var keep = (int)((long)input.Length * (_maxLength - Notice.Length) / output.Length) - 1;
            if (keep <= 0)
            {
                break;
            }

            input = Cut(text, Math.Min(keep, input.Length - 1));
        }

        return Notice.TrimStart('\n');
    }

    /// <summary>Sanitises code shown verbatim (a quote): the text stays, but it cannot ping anyone or form a marker.</summary>
    public static string SanitizeCode(string? code) => MarkdownText.DefuseCode(code);

    /// <summary>Whether GitHub would render <paramref name="markdown"/> with nothing this sanitiser removes.</summary>
    public bool IsSafe(string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        if (markdown.Contains(MarkdownText.CommentOpen, StringComparison.Ordinal))
        {
            return false;
        }

        MarkdownDocument document;
        try
        {
            document = Markdown.Parse(markdown, GitHubMarkdown.Pipeline);
        }
        catch (ArgumentException)
        {
            return false;
        }

        foreach (var node in document.Descendants())
        {
            var safe = node switch
            {
                HtmlBlock or HtmlInline => false,
                LinkInline { IsImage: true } => false,
                LinkInline link => _links.Allows(link.Url),
                AutolinkInline autolink => !autolink.IsEmail && _links.Allows(autolink.Url),
                FencedCodeBlock fenced => SafeMarkdownRenderer.SafeLanguage(fenced.Info) is not null || string.IsNullOrWhiteSpace(fenced.Info),
                ContainerInline container => !HasLiveText(container),
                // A paragraph's root inline is not among the descendants: its text is checked through the block.
                LeafBlock { Inline: { } root } => !HasLiveText(root),
                _ => true,
            };
            if (!safe)
            {
                return false;
            }
        }

        return true;
    }

    private string Render(string input)
    {
        MarkdownDocument document;
        try
        {
            document = Markdown.Parse(input, GitHubMarkdown.Pipeline);
        }
        catch (ArgumentException)
        {
            // Markdig refuses structure nested past its depth limit; no sensible comment is like that.
            return AsCodeBlock(input);
        }

        var rendered = _renderer.Render(document);
        return IsSafe(rendered) ? rendered : AsCodeBlock(input);
    }

    /// <summary>The last resort: nothing inside a code block is rendered, linked or mentioned.</summary>
    private static string AsCodeBlock(string input)
    {
        var code = MarkdownText.DefuseCode(input).TrimEnd('\n');
        var fence = new string('`', Math.Max(3, MarkdownText.LongestRun(code, '`') + 1));
        return $"{fence}\n{code}\n{fence}";
    }

    /// <summary>Text GitHub would link on its own: a mention, a reference, a bare URL.</summary>
    private static bool HasLiveText(ContainerInline container)
    {
        var text = new StringBuilder();
        for (var inline = container.FirstChild; inline is not null; inline = inline.NextSibling)
        {
            if (inline is LiteralInline literal)
            {
                text.Append(literal.Content.AsSpan());
                continue;
            }

            if (text.Length > 0 && LiveText().IsMatch(text.ToString()))
            {
                return true;
            }

            text.Clear();
        }

        return text.Length > 0 && LiveText().IsMatch(text.ToString());
    }

    private static string Cut(string text, int length)
    {
        var cut = Math.Clamp(length, 0, text.Length);
        if (cut > 0 && char.IsHighSurrogate(text[cut - 1]))
        {
            cut--;
        }

        return text[..cut];
    }

    [GeneratedRegex(@"[@\uFF20\uFE6B][A-Za-z0-9]|[#\uFF03\uFE5F][0-9]|[Gg][Hh]-[0-9]|[A-Za-z][A-Za-z0-9+.\-]*://|[Ww][Ww][Ww]\.",
        RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)]
    private static partial Regex LiveText();
}
