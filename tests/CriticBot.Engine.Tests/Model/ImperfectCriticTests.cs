using System.Text.Json;
using CriticBot.Engine.Model;
using CriticBot.Testing.FakeModel;

namespace CriticBot.Engine.Tests.Model;

public sealed class ImperfectCriticTests
{
    private const string Prompt = """
        diff --git a/src/Pay.cs b/src/Pay.cs
        +var share = total / count;
        +if (amount > limit) return;
        +var name = customer.Name.Trim();
        """;

    private static readonly PlantedFinding[] Planted =
    [
        new("src/Pay.cs", "var share = total / count;", 12, "bug", "count can be 0."),
        new("src/Pay.cs", "if (amount > limit) return;", 20, "risk", "Should this be >=?", EndLine: 21),
        new("src/Pay.cs", "var name = customer.Name.Trim();", 2, "bug", "Name may be null."),
    ];

    [Fact]
    public void The_same_seed_gives_the_same_answers()
    {
        var first = new ImperfectCritic(Planted, new Random(7));
        var second = new ImperfectCritic(Planted, new Random(7));

        var firstTexts = Enumerable.Range(0, 50).Select(_ => first.Answer(Prompt).Text).ToList();
        var secondTexts = Enumerable.Range(0, 50).Select(_ => second.Answer(Prompt).Text).ToList();

        Assert.Equal(firstTexts, secondTexts);
        Assert.True(firstTexts.Distinct().Count() > 10, "answers vary from sample to sample");
    }

    [Fact]
    public void Another_seed_gives_other_answers()
    {
        var first = new ImperfectCritic(Planted, new Random(7));
        var second = new ImperfectCritic(Planted, new Random(8));

        Assert.NotEqual(
            Enumerable.Range(0, 20).Select(_ => first.Answer(Prompt).Text),
            Enumerable.Range(0, 20).Select(_ => second.Answer(Prompt).Text));
    }

    [Fact]
    public void A_perfect_critic_reports_exactly_the_planted_findings_in_plain_json()
    {
        var critic = ImperfectCritic.Perfect(Planted);

        for (var i = 0; i < 20; i++)
        {
            var answer = critic.Answer(Prompt);
            Assert.Equal(AnswerFormat.PlainJson, answer.Format);
            Assert.False(answer.Truncated);
            Assert.Empty(answer.Hallucinated);
            Assert.Empty(answer.Nits);
            Assert.Equal(Planted, Comments(answer.Text));
        }
    }

    [Fact]
    public void Reports_each_finding_with_the_configured_probability()
    {
        var critic = new ImperfectCritic(Planted, new Random(42));

        var reported = Enumerable.Range(0, 500).Sum(_ => critic.Answer(Prompt).Reported.Count);

        Assert.InRange(reported / (500.0 * Planted.Length), 0.75, 0.85);
    }

    [Fact]
    public void Line_numbers_drift_by_at_most_three_and_stay_positive()
    {
        var critic = new ImperfectCritic(Planted, new Random(3)) { LineDriftProbability = 1 };
        var offsets = new HashSet<int>();

        for (var i = 0; i < 300; i++)
        {
            foreach (var finding in critic.Answer(Prompt).Reported)
            {
                var planted = Assert.Single(Planted, p => p.Quote == finding.Quote);
                var offset = finding.Line - planted.Line;
                Assert.InRange(Math.Abs(offset), 1, 3);
                Assert.True(finding.Line >= 1);
                Assert.Equal(planted.EndLine + offset, finding.EndLine);
                Assert.Equal(planted with { Line = finding.Line, EndLine = finding.EndLine }, finding);
                offsets.Add(offset);
            }
        }

        Assert.Contains(-3, offsets);
        Assert.Contains(3, offsets);
    }

    [Fact]
    public void Invented_code_is_never_in_the_prompt()
    {
        var prompt = Prompt + "\n+catch (Exception) { }\n+if (user.IsAdmin) return true;";
        var critic = new ImperfectCritic(Planted, new Random(5)) { HallucinationProbability = 1 };

        var invented = Enumerable.Range(0, 100).SelectMany(_ => critic.Answer(prompt).Hallucinated).ToList();

        Assert.Equal(100, invented.Count);
        Assert.All(invented, f => Assert.DoesNotContain(f.Quote, prompt, StringComparison.Ordinal));
        Assert.True(invented.Select(f => f.Quote).Distinct().Count() > 1);
    }

    [Fact]
    public void Invents_nothing_when_all_its_invented_code_is_in_the_prompt()
    {
        var critic = new ImperfectCritic(Planted, new Random(5)) { HallucinationProbability = 1, InventedCode = ["var share = total / count;"] };

        Assert.All(Enumerable.Range(0, 20), _ => Assert.Empty(critic.Answer(Prompt).Hallucinated));
    }

    [Fact]
    public void Answers_come_in_every_format_and_only_truncated_ones_are_broken()
    {
        var critic = new ImperfectCritic(Planted, new Random(11)) { TruncationProbability = 0.2 };

        var answers = Enumerable.Range(0, 300).Select(_ => critic.Answer(Prompt)).ToList();

        Assert.Equal(Enum.GetValues<AnswerFormat>().Order(), answers.Select(a => a.Format).Distinct().Order());
        Assert.Contains(answers, a => a.Truncated);
        foreach (var answer in answers.Where(a => !a.Truncated))
            Assert.Equal(answer.Reported.Count + answer.Hallucinated.Count + answer.Nits.Count, Comments(answer.Text).Count);
        foreach (var answer in answers.Where(a => a.Truncated))
            Assert.ThrowsAny<JsonException>(() => Comments(answer.Text));
        Assert.All(answers.Where(a => a.Format == AnswerFormat.FencedJson), a => Assert.StartsWith("```json\n", a.Text, StringComparison.Ordinal));
        Assert.All(answers.Where(a => a.Format == AnswerFormat.ProseAroundJson), a => Assert.False(a.Text.StartsWith('{') || a.Text.StartsWith('`')));
    }

    [Fact]
    public void Nits_pick_on_the_given_real_code()
    {
        var target = new PlantedFinding("src/Pay.cs", "var name", 2, "nit", "");
        var critic = new ImperfectCritic(Planted, new Random(9)) { NitProbability = 1, NitTargets = [target] };

        var nits = Enumerable.Range(0, 20).SelectMany(_ => critic.Answer(Prompt).Nits).ToList();

        Assert.Equal(20, nits.Count);
        Assert.All(nits, n => Assert.Equal(("src/Pay.cs", "var name", "nit"), (n.Path, n.Quote, n.Severity)));
        Assert.All(nits, n => Assert.NotEmpty(n.Body));
    }

    [Fact]
    public async Task Serves_the_model_client_through_the_fake_server()
    {
        await using var server = await FakeModelServer.StartAsync();
        var critic = new ImperfectCritic(Planted, new Random(1)) { TruncationProbability = 1 };
        server.Responder = critic.Respond;
        var model = new OpenAiCriticModel(new ModelOptions { BaseUrl = server.BaseUrl, Model = "fake-critic" });

        var answer = await model.CompleteAsync(new ModelRequest { SystemPrompt = "Critic.", UserPrompt = Prompt }, CancellationToken.None);

        Assert.Equal("length", answer.FinishReason);
        Assert.False(string.IsNullOrEmpty(answer.Text));
    }

    /// <summary>The comments of an answer, from its outermost braces (fences and prose around them ignored).</summary>
    private static List<PlantedFinding> Comments(string text)
    {
        var start = text.IndexOf('{', StringComparison.Ordinal);
        var end = text.LastIndexOf('}');
        var json = start >= 0 && end > start ? text[start..(end + 1)] : text;
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("comments").EnumerateArray()
            .Select(c => new PlantedFinding(
                c.GetProperty("path").GetString()!,
                c.GetProperty("quote").GetString()!,
                c.GetProperty("line").GetInt32(),
                c.GetProperty("severity").GetString()!,
                c.GetProperty("body").GetString()!,
                c.TryGetProperty("end_line", out var endLine) ? endLine.GetInt32() : null))
            .ToList();
    }
}
