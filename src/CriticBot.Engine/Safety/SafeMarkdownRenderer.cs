using System.Globalization;
using System.Text;
using Markdig.Extensions.Tables;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace CriticBot.Engine.Safety;

/// <summary>
/// Writes a parsed Markdown tree back as Markdown that can only mean what is safe: every piece of text is escaped
/// (<see cref="MarkdownText"/>), structure the bot allows (paragraphs, headings, emphasis, lists, quotes, code,
/// tables, links under the repository) is written fresh, and everything else becomes text: raw HTML is shown as
/// text, an image becomes its alt text, a link elsewhere becomes its label, a foreign bare URL becomes code, a
/// <c>suggestion</c> block becomes a plain code block. Nothing of the source is copied through unescaped.
/// </summary>
internal sealed class SafeMarkdownRenderer(LinkPolicy links)
{
    /// <summary>Deeper structure is flattened to its text: no input can make the renderer recurse without bound.</summary>
    private const int MaxDepth = 16;

    public string Render(MarkdownDocument document)
    {
        var lines = new List<string>();
        RenderBlocks(document, lines, 0);
        return string.Join('\n', lines).Trim('\n');
    }

    private void RenderBlocks(ContainerBlock container, List<string> lines, int depth)
    {
        var first = true;
        foreach (var block in container)
        {
            var blockLines = RenderBlock(block, depth);
            if (blockLines.Count == 0)
            {
                continue;
            }

            if (!first)
            {
                lines.Add("");
            }

            lines.AddRange(blockLines);
            first = false;
        }
    }

    private List<string> RenderBlock(Block block, int depth)
    {
        if (depth > MaxDepth && block is ContainerBlock deep)
        {
            return Flattened(deep);
        }

        switch (block)
        {
            case ParagraphBlock paragraph:
                return ParagraphLines(RenderInlines(paragraph.Inline, inTable: false, depth));
            case HeadingBlock heading:
                var title = RenderInlines(heading.Inline, inTable: false, depth).Replace("\\\n", " ", StringComparison.Ordinal).Replace('\n', ' ').Trim();
                return title.Length == 0 ? [] : [new string('#', Math.Clamp(heading.Level, 1, 6)) + " " + title];
            case ThematicBreakBlock:
                return ["---"];
            case QuoteBlock quote:
                var quoted = new List<string>();
                RenderBlocks(quote, quoted, depth + 1);
                return [.. quoted.Select(line => line.Length == 0 ? ">" : "> " + line)];
            case ListBlock list:
                return ListLines(list, depth);
            case FencedCodeBlock fenced:
                return CodeLines(fenced.Lines.ToString(), SafeLanguage(fenced.Info));
            case CodeBlock code:
                return CodeLines(code.Lines.ToString(), null);
            case HtmlBlock html:
                // Shown as the text it is.
                return ParagraphLines(string.Join('\n', html.Lines.ToString().Split('\n').Select(MarkdownText.EscapeInline)));
            case LinkReferenceDefinitionGroup definitions:
                return [.. definitions.OfType<LinkReferenceDefinition>().Select(d =>
                    MarkdownText.EscapeLineStart(MarkdownText.EscapeInline($"[{d.Label}]: "))
                    + MarkdownText.CodeSpan(MarkdownText.DefuseCode(d.Url ?? ""), inTable: false))];
            case Table table:
                return TableLines(table, depth);
            case ContainerBlock container:
                var inner = new List<string>();
                RenderBlocks(container, inner, depth + 1);
                return inner;
            case LeafBlock { Inline: { } inline }:
                return ParagraphLines(RenderInlines(inline, inTable: false, depth));
            case LeafBlock leaf:
                return ParagraphLines(string.Join('\n', leaf.Lines.ToString().Split('\n').Select(MarkdownText.EscapeInline)));
            default:
                return [];
        }
    }

    /// <summary>Inline text split into lines, each made unable to start a block.</summary>
    private static List<string> ParagraphLines(string inline) =>
        [.. inline.Split('\n').Select(MarkdownText.EscapeLineStart).Where(line => line.Length > 0)];

    private List<string> ListLines(ListBlock list, int depth)
    {
        var lines = new List<string>();
        var number = list.IsOrdered && int.TryParse(list.OrderedStart, NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            ? Math.Min(start, 99_999_999)
            : 1;
        var items = list.OfType<ListItemBlock>().ToList();
        for (var i = 0; i < items.Count; i++)
        {
            var inner = new List<string>();
            RenderBlocks(items[i], inner, depth + 1);
            var marker = list.IsOrdered ? (number++).ToString(CultureInfo.InvariantCulture) + "." : "-";
            var indent = new string(' ', marker.Length + 1);
            if (inner.Count == 0)
            {
                lines.Add(marker);
            }
            else
            {
                lines.Add(marker + " " + inner[0]);
                lines.AddRange(inner.Skip(1).Select(line => line.Length == 0 ? "" : indent + line));
            }

            if (list.IsLoose && i < items.Count - 1)
            {
                lines.Add("");
            }
        }

        return lines;
    }

    private static List<string> CodeLines(string code, string? language)
    {
        var content = MarkdownText.DefuseCode(code.ReplaceLineEndings("\n").TrimEnd('\n'));
        var fence = new string('`', Math.Max(3, MarkdownText.LongestRun(content, '`') + 1));
        var lines = new List<string> { fence + (language ?? "") };
        if (content.Length > 0)
        {
            lines.AddRange(content.Split('\n'));
        }

        lines.Add(fence);
        return lines;
    }

    /// <summary>
    /// The info string's language when it is a plain name. A <c>suggestion</c> block is a one-click commit of the
    /// code in it on GitHub: from the model, it is shown as plain code.
    /// </summary>
    internal static string? SafeLanguage(string? info)
    {
        var language = info?.Trim();
        if (string.IsNullOrEmpty(language) || language.Length > 32
            || !language.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '+' or '#' or '.' or '-')
            || language.StartsWith("suggestion", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return language;
    }

    private List<string> TableLines(Table table, int depth)
    {
        var rows = table.OfType<TableRow>().ToList();
        if (rows.Count == 0 || !rows[0].IsHeader)
        {
            return Flattened(table);
        }

        var columns = Math.Max(1, rows.Max(r => r.Count));
        var lines = new List<string>();
        for (var r = 0; r < rows.Count; r++)
        {
            var cells = rows[r].OfType<TableCell>().Select(cell => CellText(cell, depth)).ToList();
            while (cells.Count < columns)
            {
                cells.Add("");
            }

            lines.Add("| " + string.Join(" | ", cells) + " |");
            if (r == 0)
            {
                lines.Add("| " + string.Join(" | ", Enumerable.Range(0, columns).Select(c => Alignment(table, c))) + " |");
            }
        }

        return lines;
    }

    private string CellText(TableCell cell, int depth) => string.Join(" ", cell
        .OfType<LeafBlock>()
        .Select(leaf => leaf.Inline is null ? MarkdownText.EscapeInline(leaf.Lines.ToString()) : RenderInlines(leaf.Inline, inTable: true, depth))
        .Select(text => text.Replace('\n', ' ').Trim())
        .Where(text => text.Length > 0));

    private static string Alignment(Table table, int column) =>
        column < table.ColumnDefinitions.Count ? table.ColumnDefinitions[column].Alignment switch
        {
            TableColumnAlign.Left => ":---",
            TableColumnAlign.Center => ":---:",
            TableColumnAlign.Right => "---:",
            _ => "---",
        } : "---";

    /// <summary>A container's text, one paragraph line per leaf block, with no structure.</summary>
    private static List<string> Flattened(ContainerBlock container)
    {
        var lines = new List<string>();
        foreach (var leaf in container.Descendants<LeafBlock>())
        {
            var text = leaf.Inline is null ? leaf.Lines.ToString() : PlainText(leaf.Inline);
            lines.AddRange(text.Split('\n').Select(line => MarkdownText.EscapeLineStart(MarkdownText.EscapeInline(line))).Where(line => line.Length > 0));
        }

        return lines;
    }

    /// <summary>Every piece of text under an inline, without structure.</summary>
    private static string PlainText(ContainerInline container)
    {
        var text = new StringBuilder();
        foreach (var inline in container.Descendants<Inline>())
        {
            text.Append(inline switch
            {
                LiteralInline literal => literal.Content.ToString(),
                HtmlEntityInline entity => entity.Transcoded.ToString(),
                HtmlInline html => html.Tag,
                CodeInline code => code.Content,
                AutolinkInline autolink => autolink.Url,
                LineBreakInline => "\n",
                _ => "",
            });
        }

        return text.ToString();
    }

    private string RenderInlines(ContainerInline? container, bool inTable, int depth)
    {
        if (container is null)
        {
            return "";
        }

        if (depth > MaxDepth)
        {
            var flat = PlainText(container);
            return MarkdownText.EscapeInline(inTable ? flat.Replace('\n', ' ') : flat);
        }

        var output = new StringBuilder();
        var text = new StringBuilder();
        for (var inline = container.FirstChild; inline is not null; inline = inline.NextSibling)
        {
            switch (inline)
            {
                // Adjacent pieces of text are escaped together, so "&#64;" + "user" is seen as the mention it renders as.
                case LiteralInline literal:
                    text.Append(literal.Content.AsSpan());
                    break;
                case HtmlEntityInline entity:
                    text.Append(entity.Transcoded.AsSpan());
                    break;
                case HtmlInline html:
                    text.Append(html.Tag);
                    break;
                case DelimiterInline delimiter:
                    text.Append(delimiter.ToLiteral());
                    break;
                default:
                    output.Append(MarkdownText.EscapeInline(text.ToString()));
                    text.Clear();
                    output.Append(RenderInline(inline, inTable, depth + 1));
                    break;
            }
        }

        output.Append(MarkdownText.EscapeInline(text.ToString()));
        return output.ToString();
    }

    private string RenderInline(Inline inline, bool inTable, int depth)
    {
        switch (inline)
        {
            case CodeInline code:
                return MarkdownText.CodeSpan(MarkdownText.DefuseCode(code.Content), inTable);
            case LineBreakInline lineBreak:
                return inTable ? " " : lineBreak.IsHard ? "\\\n" : "\n";
            case EmphasisInline emphasis:
                var content = RenderInlines(emphasis, inTable, depth);
                if (content.Trim().Length == 0)
                {
                    return content;
                }

                var delimiter = emphasis.DelimiterChar == '~' ? "~~" : new string('*', Math.Clamp(emphasis.DelimiterCount, 1, 2));
                return delimiter + content + delimiter;
            case LinkInline { IsImage: true } image:
                // A tracking pixel is no better than a link: only the alt text stays.
                return RenderInlines(image, inTable, depth);
            case LinkInline { IsAutoLink: true } bare:
                var shown = PlainText(bare);
                return links.Allows(bare.Url) && UrlFor(bare.Url) is { } bareUrl
                    ? "<" + bareUrl + ">"
                    : MarkdownText.CodeSpan(MarkdownText.DefuseCode(shown.Length > 0 ? shown : bare.Url ?? ""), inTable);
            case LinkInline link:
                var label = RenderInlines(link, inTable, depth);
                return links.Allows(link.Url) && UrlFor(link.Url) is { } url && label.Trim().Length > 0
                    ? "[" + label + "](" + url + ")"
                    : label;
            case AutolinkInline autolink:
                return !autolink.IsEmail && links.Allows(autolink.Url) && UrlFor(autolink.Url) is { } autoUrl
                    ? "<" + autoUrl + ">"
                    : MarkdownText.CodeSpan(MarkdownText.DefuseCode(autolink.Url), inTable);
            case ContainerInline container:
                return RenderInlines(container, inTable, depth);
            default:
                return "";
        }
    }

    /// <summary>
    /// An allowed URL written so that it reads back as itself: characters outside a conservative set are
    /// percent-encoded, so no bracket, space, quote or entity can end or change it.
    /// </summary>
    private static string? UrlFor(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return null;
        }

        var target = url.Trim();
        if (target.StartsWith("www.", StringComparison.OrdinalIgnoreCase))
        {
            target = "https://" + target;
        }

        var output = new StringBuilder(target.Length + 8);
        foreach (var b in Encoding.UTF8.GetBytes(target))
        {
            var c = (char)b;
            if (b < 0x80 && (char.IsAsciiLetterOrDigit(c) || "-._~:/?#@!$&'*+,=%".Contains(c, StringComparison.Ordinal)))
            {
                output.Append(c);
            }
            else
            {
                output.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return output.ToString();
    }
}
