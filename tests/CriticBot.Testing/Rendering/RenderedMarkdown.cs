using System.Text;
using System.Text.RegularExpressions;
using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace CriticBot.Testing.Rendering;

/// <summary>
/// What a posted text renders as, found by parsing it again with Markdig configured like GitHub (CommonMark, raw
/// HTML, bare-URL autolinks, tables, strikethrough), independently of the sanitiser's own check.
/// </summary>
public static partial class RenderedMarkdown
{
    private static readonly MarkdownPipeline GitHubLike = new MarkdownPipelineBuilder()
        .UseAutoLinks()
        .UsePipeTables()
        .UseEmphasisExtras()
        .Build();

    /// <summary>Every way the text would render as something the bot must not post; empty when none.</summary>
    public static List<string> Hazards(string markdown, string host = "github.com", string repository = "octo/repo")
    {
        var hazards = new List<string>();
        if (markdown.Contains("<!--", StringComparison.Ordinal))
        {
            hazards.Add("the text contains '<!--', the start of a hidden marker");
        }

        var document = Markdown.Parse(markdown, GitHubLike);
        foreach (var node in document.Descendants())
        {
            switch (node)
            {
                case HtmlBlock html:
                    hazards.Add($"HTML block {html.Lines}");
                    break;
                case HtmlInline html:
                    hazards.Add($"inline HTML {html.Tag}");
                    break;
                case LinkInline { IsImage: true } image:
                    hazards.Add($"image {image.Url}");
                    break;
                case LinkInline link when !UnderRepository(link.Url, host, repository):
                    hazards.Add($"link to {link.Url}");
                    break;
                case AutolinkInline autolink when autolink.IsEmail || !UnderRepository(autolink.Url, host, repository):
                    hazards.Add($"autolink to {autolink.Url}");
                    break;
                case FencedCodeBlock fenced when (fenced.Info ?? "").Trim().StartsWith("suggestion", StringComparison.OrdinalIgnoreCase):
                    hazards.Add("suggestion block");
                    break;
            }

            // A paragraph's root inline is not among the descendants: its text is checked through the block.
            var container = node switch
            {
                ContainerInline inline => inline,
                LeafBlock { Inline: { } root } => root,
                _ => null,
            };
            if (container is not null)
            {
                foreach (var text in TextRuns(container))
                {
                    if (Linked().Match(text) is { Success: true } live)
                    {
                        hazards.Add($"text GitHub links: '{live.Value}' in '{text}'");
                    }
                }
            }
        }

        return hazards;
    }

    /// <summary>The text as a reader sees it (no markup, entities decoded), invisible joiners removed.</summary>
    public static string VisibleText(string markdown)
    {
        var text = new StringBuilder();
        foreach (var node in Markdown.Parse(markdown, GitHubLike).Descendants())
        {
            text.Append(node switch
            {
                LiteralInline literal => literal.Content.ToString(),
                HtmlEntityInline entity => entity.Transcoded.ToString(),
                CodeInline code => code.Content,
                LineBreakInline => "\n",
                CodeBlock code => code.Lines.ToString() + "\n",
                _ => "",
            });
        }

        return text.ToString().Replace("\u200D", "", StringComparison.Ordinal);
    }

    /// <summary>Adjacent text nodes joined, as GitHub's mention and reference filters see a text node.</summary>
    private static IEnumerable<string> TextRuns(ContainerInline container)
    {
        var run = new StringBuilder();
        for (var inline = container.FirstChild; inline is not null; inline = inline.NextSibling)
        {
            switch (inline)
            {
                case LiteralInline literal:
                    run.Append(literal.Content.ToString());
                    break;
                case HtmlEntityInline entity:
                    run.Append(entity.Transcoded.ToString());
                    break;
                default:
                    if (run.Length > 0)
                    {
                        yield return run.ToString();
                        run.Clear();
                    }

                    break;
            }
        }

        if (run.Length > 0)
        {
            yield return run.ToString();
        }
    }

    private static bool UnderRepository(string? url, string host, string repository)
    {
        if (string.IsNullOrEmpty(url))
        {
            return false;
        }

        if (!url.Contains(':', StringComparison.Ordinal))
        {
            // Relative: fine unless it leaves the page's repository.
            return !url.StartsWith('/') && !url.StartsWith('\\') && !url.Split('/').Contains("..");
        }

        return Uri.TryCreate(url, UriKind.Absolute, out var uri)
            && uri.Scheme is "https" or "http"
            && uri.Host == host
            && uri.UserInfo.Length == 0
            && (uri.AbsolutePath + "/").StartsWith("/" + repository + "/", StringComparison.OrdinalIgnoreCase)
            && !CrossReferencePath().IsMatch(uri.AbsolutePath);
    }

    [GeneratedRegex(@"[@\uFF20][A-Za-z0-9]|#[0-9]|(?i:gh-[0-9])|(?i:(?:https?|ftp)://)|(?i:www\.)")]
    private static partial Regex Linked();

    [GeneratedRegex(@"^/[^/]+/[^/]+/(issues|pull|pulls|discussions)/[0-9]", RegexOptions.IgnoreCase)]
    private static partial Regex CrossReferencePath();
}
