using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CriticBot.Engine.Diff;
using CriticBot.Testing.FakeModel;

// A FAKE critic for `criticbot eval`, not a model: the fake OpenAI-compatible server of the test suite, answering
// each case's prompts as an ImperfectCritic that knows the case's bugs (from the dataset). Its behaviour is set
// by the flags below, so the figures an eval reports for it can be worked out by hand. Usage:
//
//   dotnet run -c Release --project benchmarks/CriticBot.FakeCritic -- --dataset he.jsonl [--miss 0.2]
//       [--hard-share 0] [--hard-miss 0.9] [--hallucinate 0.25] [--nit 0.3] [--seed 1]
//
// It prints "OPENAI_BASE_URL=http://127.0.0.1:PORT/v1" and serves until stopped (Ctrl-C or SIGTERM).
// --miss: the chance that one sample misses a planted bug, independently of every other sample.
// --hard-share, --hard-miss: that share of cases (chosen by a seeded draw per case id) is hard: their samples miss
//   with --hard-miss instead, as real models' samples miss the same subtle bugs together.
var options = Options.Parse(args);
var cases = await CaseCritics.LoadAsync(options);
await using var server = await FakeModelServer.StartAsync();
server.Responder = cases.Respond;
Console.WriteLine($"OPENAI_BASE_URL={server.BaseUrl}");
Console.Out.Flush();
Console.Error.WriteLine($"fake critic: {cases.Count} cases ({cases.HardCount} hard), miss {options.Miss}, hard miss {options.HardMiss}, hallucinate {options.Hallucinate}, nit {options.Nit}, seed {options.Seed}");

var stop = new TaskCompletionSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.TrySetResult();
};
using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.TrySetResult();
});
await stop.Task;

internal sealed record Options
{
    public required string Dataset { get; init; }
    public double Miss { get; init; } = 0.2;
    public double HardShare { get; init; }
    public double HardMiss { get; init; } = 0.9;
    public double Hallucinate { get; init; } = 0.25;
    public double Nit { get; init; } = 0.3;
    public int Seed { get; init; } = 1;

    public static Options Parse(string[] args)
    {
        string? dataset = null;
        var parsed = new Options { Dataset = "" };
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            double Number() => double.Parse(args[i + 1], CultureInfo.InvariantCulture);
            parsed = args[i] switch
            {
                "--dataset" => parsed with { Dataset = dataset = args[i + 1] },
                "--miss" => parsed with { Miss = Number() },
                "--hard-share" => parsed with { HardShare = Number() },
                "--hard-miss" => parsed with { HardMiss = Number() },
                "--hallucinate" => parsed with { Hallucinate = Number() },
                "--nit" => parsed with { Nit = Number() },
                "--seed" => parsed with { Seed = int.Parse(args[i + 1], CultureInfo.InvariantCulture) },
                var unknown => throw new ArgumentException($"unknown option {unknown}"),
            };
        }

        return dataset is null ? throw new ArgumentException("--dataset FILE is required") : parsed;
    }
}

/// <summary>One ImperfectCritic per case, found from a prompt by its file and the added lines it shows.</summary>
internal sealed partial class CaseCritics
{
    private readonly List<(string Path, IReadOnlyList<string> AddedLines, ImperfectCritic Critic)> _cases = [];

    public int Count => _cases.Count;
    public int HardCount { get; private set; }

    public static async Task<CaseCritics> LoadAsync(Options options)
    {
        var critics = new CaseCritics();
        foreach (var line in await File.ReadAllLinesAsync(options.Dataset))
        {
            if (string.IsNullOrWhiteSpace(line) || JsonNode.Parse(line) is not JsonObject json)
            {
                continue;
            }

            var id = json["id"]!.GetValue<string>();
            var file = DiffParser.Parse(json["diff"]!.GetValue<string>()).Files[0];
            var right = file.Hunks.SelectMany(h => h.Lines).Where(l => l.Kind != DiffLineKind.Removed).ToList();
            string TextOf(int from, int to) => string.Join("\n", right.Where(l => l.NewLine >= from && l.NewLine <= to).Select(l => l.Text.Trim()));

            var findings = (json["bugs"] as JsonArray ?? [])
                .OfType<JsonObject>()
                .Where(b => b["line"] is not null)
                .Select(b =>
                {
                    var from = b["line"]!.GetValue<int>();
                    var to = b["end_line"]?.GetValue<int>() ?? from;
                    return new PlantedFinding(file.Path, TextOf(from, to), from, "bug", b["description"]?.GetValue<string>() ?? "a bug", to == from ? null : to);
                })
                .Where(f => f.Quote.Count(c => !char.IsWhiteSpace(c)) >= 3)
                .ToList();
            var nitTargets = right
                .Where(l => l.Kind == DiffLineKind.Context && l.Text.Trim().Length >= 3)
                .Select(l => new PlantedFinding(file.Path, l.Text.Trim(), l.NewLine, "nit", "style"))
                .ToList();

            var random = new Random(options.Seed ^ StableHash(id));
            var hard = random.NextDouble() < options.HardShare;
            critics.HardCount += hard ? 1 : 0;
            var critic = new ImperfectCritic(findings, random)
            {
                MissProbability = hard ? options.HardMiss : options.Miss,
                HallucinationProbability = options.Hallucinate,
                NitProbability = options.Nit,
                NitTargets = nitTargets,
            };
            var added = file.Hunks.SelectMany(h => h.Lines).Where(l => l.Kind == DiffLineKind.Added)
                .Select(l => $"\n+{l.NewLine.ToString(CultureInfo.InvariantCulture)} | {l.Text}\n")
                .ToList();
            critics._cases.Add((file.Path, added, critic));
        }

        return critics;
    }

    public FakeReply Respond(RecordedChatRequest request)
    {
        var user = request.Messages.LastOrDefault(m => m.Role == "user")?.Content ?? "";
        var path = FileHeader().Match(user).Groups[1].Value;
        var match = _cases.FirstOrDefault(c => c.Path == path && c.AddedLines.All(a => user.Contains(a, StringComparison.Ordinal)));
        return match.Critic?.Respond(request) ?? FakeReply.Text("""{"comments":[]}""");
    }

    private static int StableHash(string text) => BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes(text)), 0);

    [GeneratedRegex(@"### FILE: (\S+)")]
    private static partial Regex FileHeader();
}
