using Markdig;

namespace CriticBot.Engine.Safety;

/// <summary>
/// The Markdown dialect GitHub renders comments in, as far as it matters for safety: CommonMark with raw HTML,
/// plus GitHub's extensions that make links (bare URLs and <c>www.</c>), tables and strikethrough. Parsing with the
/// extensions means a bare URL is seen as the link GitHub will make of it.
/// </summary>
public static class GitHubMarkdown
{
    public static MarkdownPipeline Pipeline { get; } = new MarkdownPipelineBuilder()
        .UseAutoLinks()
        .UsePipeTables(new Markdig.Extensions.Tables.PipeTableOptions { UseGfmRules = true })
        .UseEmphasisExtras(Markdig.Extensions.EmphasisExtras.EmphasisExtraOptions.Strikethrough)
        .Build();
}
