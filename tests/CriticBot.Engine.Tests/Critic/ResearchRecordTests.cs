using System.Text.Json;
using CriticBot.Engine.Chunking;
using CriticBot.Engine.Critic;
using CriticBot.Engine.Diff;
using CriticBot.Engine.Model;
using CriticBot.Engine.Prompting;
using CriticBot.Engine.Selection;
using CriticBot.Testing.FakeModel;
using CriticBot.Testing.Time;
using static CriticBot.Engine.Tests.Grounding.HunkBuilder;

namespace CriticBot.Engine.Tests.Critic;

/// <summary>The engine's result holds every model call and every candidate with what became of it.</summary>
public sealed class ResearchRecordTests
{
    private const string Diff = """
        diff --git a/src/calc.py b/src/calc.py
        --- a/src/calc.py
        +++ b/src/calc.py
        @@ -1,2 +1,3 @@
         def ratio(a, b):
        -    return a / b
        +    total = a / b
        +    return total

        """;

    private static string Answer(params object[] comments) => JsonSerializer.Serialize(new { comments });

    [Fact]
    public async Task Every_model_call_is_recorded_with_its_prompt_raw_answer_usage_clocked_latency_and_finish_reason()
    {
        await using var server = await FakeModelServer.StartAsync();
        var clock = new ManualClock();
        var good = Answer(new { path = "src/calc.py", line = 2, quote = "total = a / b", severity = "bug", body = "b may be 0." });
        const string cutOff = """{"comments":[{"path":"src/ca""";
        server.Responder = request =>
        {
            clock.Advance(TimeSpan.FromMilliseconds(1500));
            return request.Sequence == 1
                ? new FakeReply { Content = cutOff, FinishReason = "length", PromptTokens = 300, CompletionTokens = 7 }
                : new FakeReply { Content = good, PromptTokens = 300, CachedPromptTokens = 256, CompletionTokens = 40 };
        };
        var model = new OpenAiCriticModel(new ModelOptions { BaseUrl = server.BaseUrl, Model = "fake-critic", MaxRetries = 0 });
        var engine = new CriticEngine(model, new TiktokenTokenCounter(), time: clock);
        var started = clock.GetUtcNow();

        var result = await engine.ReviewAsync(
            DiffParser.Parse(Diff.Replace("\r\n", "\n", StringComparison.Ordinal)),
            new CriticOptions { Samples = 2, MaxConcurrency = 1, Temperature = 0.6f, MaxOutputTokens = 777 },
            CancellationToken.None);

        var prompt = Assert.Single(result.Prompts);
        Assert.Equal(3, result.ModelCalls.Count);
        Assert.All(result.ModelCalls, call =>
        {
            Assert.Equal(prompt.Sha256, call.PromptSha256);
            Assert.Equal("fake-critic", call.Model);
            Assert.Equal(0.6f, call.Temperature);
            Assert.Equal(777, call.MaxOutputTokens);
            Assert.Equal(300, call.PromptTokens);
            Assert.Equal(TimeSpan.FromMilliseconds(1500), call.Latency);
            Assert.InRange(call.StartedAt, started, clock.GetUtcNow());
        });

        // The cut-off first answer is kept verbatim, and its sample's retry is the call its candidates came from.
        var failed = Assert.Single(result.ModelCalls, c => c.Outcome == ModelCallOutcome.Unparseable);
        Assert.Equal((cutOff, "length", 0, 0, 7), (failed.Completion, failed.FinishReason, failed.Attempt, failed.CachedPromptTokens, failed.CompletionTokens));
        var retry = Assert.Single(result.ModelCalls, c => (c.ChunkIndex, c.SampleIndex, c.Attempt) == (failed.ChunkIndex, failed.SampleIndex, 1));
        Assert.Equal((ModelCallOutcome.Parsed, good, "stop", 256), (retry.Outcome, retry.Completion, retry.FinishReason, retry.CachedPromptTokens));
        Assert.Equal(1, result.Candidates.Single(c => c.SampleIndex == failed.SampleIndex).Attempt);
        Assert.Equal(0, result.Candidates.Single(c => c.SampleIndex != failed.SampleIndex).Attempt);

        Assert.Equal((3, 900, 512, 87), (result.Usage.Calls, result.Usage.PromptTokens, result.Usage.CachedPromptTokens, result.Usage.CompletionTokens));
    }

    [Fact]
    public async Task Candidates_carry_their_sample_group_support_score_and_a_reason_code()
    {
        var file = File("src/a.cs",
            Hunk(10, 10, " int count = items.Length;", "+int half = count / 2;", "+var nit = half;"),
            Hunk(40, 41, "+return Finish(half);"));
        // Every sample says the same: one real bug, one nit, and five highlights that cannot be anchored.
        var answer = Answer(
            new { path = "src/a.cs", line = 11, quote = "int half = count / 2;", severity = "bug", body = "rounds down" },
            new { path = "src/a.cs", line = 12, quote = "var nit = half;", severity = "nit", body = "rename" },
            new { path = "src/a.cs", line = 11, quote = "x", severity = "bug", body = "too short" },
            new { path = "src/other.cs", line = 1, quote = "int half = count / 2;", severity = "bug", body = "wrong file" },
            new { path = "src/a.cs", line = 11, quote = "Console.WriteLine(half);", severity = "bug", body = "not there" },
            new { path = "src/a.cs", line = 12, quote = "var nit = half;\nreturn Finish(half);", severity = "bug", body = "spans a gap" });
        var pipeline = new CritiquePipeline(new ScriptedModel(answer), new AgreementSeverityScorer(), new PromptBuilder());

        var result = await pipeline.RunAsync(
            [new ChunkToReview(0, "chunk 0", [file])],
            new PipelineSettings
            {
                Samples = 3,
                Precision = 0.75,
                MaxComments = 10,
                MaxConcurrency = 1,
                Temperature = 0.8f,
                MaxOutputTokens = 100,
                Guidance = new PromptGuidance(),
                RepositoryHost = "github.com",
            },
            [], [], CancellationToken.None);

        Assert.Equal(18, result.Candidates.Count);
        var bug = result.Candidates.Where(c => c.Raw.Body == "rounds down").ToList();
        Assert.Equal([0, 1, 2], bug.Select(c => c.SampleIndex));
        Assert.Single(bug.Select(c => c.GroupId).Distinct());
        Assert.All(bug, c => Assert.Equal((3, 1.0), (c.Support!.Value, c.Score!.Value)));
        Assert.Equal([CandidateReason.Kept, CandidateReason.Duplicate, CandidateReason.Duplicate], bug.Select(c => c.ReasonCode));
        Assert.Equal(result.Comments.Single().GroupId, bug[0].GroupId);

        var nit = result.Candidates.Where(c => c.Raw.Body == "rename").ToList();
        Assert.NotEqual(bug[0].GroupId, nit[0].GroupId);
        Assert.Equal(CandidateReason.BelowThreshold, nit[0].ReasonCode);
        Assert.All(nit, c => Assert.Equal(3, c.Support));

        CandidateReason ReasonOf(string body) => result.Candidates.Where(c => c.Raw.Body == body).Select(c => c.ReasonCode).Distinct().Single();
        Assert.Equal(CandidateReason.QuoteTooShort, ReasonOf("too short"));
        Assert.Equal(CandidateReason.FileNotInDiff, ReasonOf("wrong file"));
        Assert.Equal(CandidateReason.QuoteNotFound, ReasonOf("not there"));
        Assert.Equal(CandidateReason.CrossesHunk, ReasonOf("spans a gap"));
        Assert.All(result.Candidates.Where(c => c.Anchor is null), c => Assert.Equal((null, null, null), (c.GroupId, c.Support, c.Score)));
        Assert.Equal([0, 1, 2, 3, 4, 5], result.Candidates.Where(c => c.SampleIndex == 1).Select(c => c.Position));
    }

    [Fact]
    public void Reason_codes_have_stable_distinct_wire_names_that_read_back()
    {
        var all = Enum.GetValues<CandidateReason>();
        Assert.Equal(all.Length, all.Select(r => r.WireName()).Distinct().Count());
        Assert.All(all, r => Assert.Equal(r, CandidateReasons.FromWireName(r.WireName())));
        Assert.Null(CandidateReasons.FromWireName("no_such_reason"));
        Assert.Equal("crosses_hunk", CandidateReason.CrossesHunk.WireName());
    }
}
