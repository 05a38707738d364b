using System.Globalization;
using CriticBot.Export.Files;
using CriticBot.Export.Rows;

/// <summary>Ratings rows made in memory and written through the real sink, as `criticbot export --format ratings` would.</summary>
internal static class SinkOnly
{
    private static readonly string[] Kinds = ["reaction", "reaction", "reaction", "reply", "command_good", "command_wrong", "thread_resolved", "addressed"];
    private static readonly string[] Permissions = ["admin", "maintain", "write", "write", "triage", "read", "read", "none"];

    public static async Task<long> WriteAsync(int count, string target)
    {
        var random = new Random(1);
        await using var sink = ExportSinks.Open<RatingRow>(target, split: false, TextWriter.Null);
        var start = new DateTime(2025, 12, 1, 0, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < count; i++)
        {
            var review = 1 + random.Next(20_000);
            var kind = Kinds[random.Next(Kinds.Length)];
            var row = new RatingRow
            {
                EventId = i + 1,
                Kind = kind,
                Value = kind == "reply" ? null : "positive",
                Rating = null,
                Content = kind == "reaction" ? "+1" : null,
                Text = kind == "reply" ? "This is intentional: the list always has a sentinel element at the end, so <= is right here." : null,
                Rater = "rater-" + random.NextInt64().ToString("x16", CultureInfo.InvariantCulture),
                RaterPermission = Permissions[random.Next(Permissions.Length)],
                RaterIsAuthor = random.Next(10) == 0,
                OccurredAt = start.AddSeconds(i * 30L),
                EventHeadSha = random.NextInt64().ToString("x16", CultureInfo.InvariantCulture) + "657290ef7de7575cb88bffb6",
                Metadata = new ExportMetadata
                {
                    Repository = $"org-{review % 8}/service-{review % 40}",
                    PullRequest = review / 3,
                    HeadSha = random.NextInt64().ToString("x16", CultureInfo.InvariantCulture) + "657290ef7de7575cb88bffb6",
                    ReviewId = review,
                    Fingerprint = random.NextInt64().ToString("x16", CultureInfo.InvariantCulture),
                    Path = $"src/module{review % 40}/file{review % 30}.cs",
                    Line = 10 + random.Next(380),
                    Side = "RIGHT",
                    Placement = "inline",
                    Severity = "bug",
                    Score = random.NextDouble(),
                    Support = 2,
                    GroupId = random.Next(3),
                    CandidateIndex = random.Next(6),
                    Model = "gpt-4.1",
                    Temperature = 0.7,
                    ChunkIndex = random.Next(2),
                    Sample = 0,
                    Precision = 0.5,
                    PromptSha256 = random.NextInt64().ToString("x16", CultureInfo.InvariantCulture) + "6d4efe5df1129433f45664caff3d398a93f9695b310f2654",
                    RaterPermission = "write",
                    RaterIsAuthor = false,
                },
            };
            await sink.WriteAsync(row, ExportSplit.Train, CancellationToken.None);
        }

        await sink.CompleteAsync(new DatasetCard
        {
            Format = "ratings", LabelRuleMarkdown = "-", CriticBotVersion = "bench", ExportedAt = DateTimeOffset.UtcNow, DatabaseKind = "none",
        }, CancellationToken.None);
        return sink.RowCount(ExportSplit.Train);
    }
}
