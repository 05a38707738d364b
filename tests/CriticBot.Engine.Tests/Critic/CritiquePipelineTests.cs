using System.Text.Json;
using CriticBot.Engine.Critic;
using CriticBot.Engine.Prompting;
using CriticBot.Engine.Selection;
using static CriticBot.Engine.Tests.Grounding.HunkBuilder;

namespace CriticBot.Engine.Tests.Critic;

public sealed class CritiquePipelineTests
{
    private static PipelineSettings Settings(int samples) => new()
    {
        Samples = samples,
        Precision = 0,
        MaxComments = 10,
        MaxConcurrency = 1,
        Temperature = 0.8f,
        MaxOutputTokens = 100,
        Guidance = new PromptGuidance(),
        RepositoryHost = "github.com",
    };

    [Fact]
    public async Task A_file_split_over_two_chunks_is_grounded_in_each_chunks_own_part()
    {
        // The chunker put hunk 1 of big.cs in chunk 0 and hunk 2 in chunk 1.
        var first = File("big.cs", Hunk(10, 10, "+int first = Compute();"));
        var second = File("big.cs", Hunk(200, 200, "+int second = Compute();"));
        var answer = JsonSerializer.Serialize(new
        {
            comments = new[]
            {
                new { path = "big.cs", line = 200, quote = "int second = Compute();", severity = "bug", body = "b" },
                new { path = "big.cs", line = 10, quote = "int first = Compute();", severity = "bug", body = "b" },
            },
        });
        var pipeline = new CritiquePipeline(new ScriptedModel(answer), new AgreementSeverityScorer(), new PromptBuilder());

        var result = await pipeline.RunAsync([new ChunkToReview(0, "chunk 0", [first]), new ChunkToReview(1, "chunk 1", [second])], Settings(1), [], [], CancellationToken.None);

        // Each chunk's sample can only ground the quote its chunk holds: one hit and one miss per chunk.
        Assert.Equal([10, 200], result.Comments.Select(c => c.Line).Order());
        Assert.Equal(2, result.Dropped.Ungrounded);
        Assert.All(result.Candidates.Where(c => c.Decision == CandidateDecision.Kept), c => Assert.Equal(c.ChunkIndex == 0 ? 10 : 200, c.Anchor!.Line));
    }
}
