using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using CriticBot.Storage;
using CriticBot.Tests.Fixtures;
using CriticBot.Tests.Intake;

namespace CriticBot.Tests.EndToEnd;

/// <summary>
/// 10,000 mutated, correctly signed deliveries against the real `criticbot serve` process (seeded, reproducible):
/// truncated JSON, wrong types, deep nesting, huge strings, invalid UTF-8 and lone surrogate escapes, duplicate
/// keys, missing and wrong headers. No answer is a 5xx, the process stays up, every failed delivery is stored
/// with a reason, and a normal pull request is reviewed afterwards.
/// </summary>
[Collection(nameof(IntakeLoadCollection))]
public sealed class WebhookFuzzTests
{
    private const int Deliveries = 10_000;
    private const int Seed = 20261128;
    private const string Secret = "fuzz-webhook-secret-0123456789";

    [Fact]
    public async Task Ten_thousand_mutated_signed_deliveries_never_get_a_5xx_and_every_failure_has_a_reason()
    {
        await using var h = await ReviewHarness.StartAsync(startService: false);
        var environment = h.ServiceSettings();
        environment["GITHUB_WEBHOOK_SECRET"] = Secret;
        environment["CRITICBOT_DATABASE"] = h.Database.Path;
        environment["Inbox:PollInterval"] = "00:00:00.050";
        environment["Inbox:RetryBaseDelay"] = "00:00:00.010";
        environment["Inbox:RetryMaxDelay"] = "00:00:00.050";
        environment["Inbox:MaxConcurrency"] = "8";
        environment["Serilog:MinimumLevel:Default"] = "Error";
        await using var server = await ServerProcess.StartAsync(environment);
        using var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

        var random = new Random(Seed);
        var cases = Enumerable.Range(0, Deliveries).Select(i => FuzzCase.Create(random, i)).ToList();
        var answers = new ConcurrentDictionary<int, HttpStatusCode>();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (fuzz, ct) =>
        {
            using var response = await client.SendAsync(fuzz.ToRequest(Secret), ct);
            answers[fuzz.Index] = response.StatusCode;
        });

        var fiveHundreds = cases.Where(c => (int)answers[c.Index] >= 500).Select(c => $"{answers[c.Index]}: {c.Description}").Take(10).ToList();
        Assert.True(fiveHundreds.Count == 0, "5xx answers:\n" + string.Join('\n', fiveHundreds) + "\n" + Tail(server.Output));
        Assert.False(server.HasExited, "the process died:\n" + Tail(server.Output));

        // Every delivery the service kept is finished: done, ignored, or failed with a reason.
        await using var store = CriticBotStore.Open(h.Database.Path);
        await WaitUntilAsync(async () =>
        {
            var counts = await store.CountDeliveriesByStatusAsync(CancellationToken.None);
            return counts.GetValueOrDefault(DeliveryStatus.Pending) + counts.GetValueOrDefault(DeliveryStatus.Processing) == 0;
        }, server);

        var kept = 0;
        var statuses = new Dictionary<DeliveryStatus, int>();
        foreach (var fuzz in cases)
        {
            var answer = answers[fuzz.Index];
            if (!fuzz.HasUsableHeaders || !fuzz.SignedCorrectly)
            {
                Assert.True(answer is HttpStatusCode.BadRequest or HttpStatusCode.Unauthorized, $"answered {answer}: {fuzz.Description}");
                continue;
            }

            // Signed, with a usable id: kept whatever its body (a body that is not a JSON object gets a 400 and is
            // kept as failed with the reason), and finished.
            Assert.True(answer is HttpStatusCode.Accepted or HttpStatusCode.OK or HttpStatusCode.BadRequest, $"answered {answer}: {fuzz.Description}");
            var record = await store.GetDeliveryAsync(fuzz.DeliveryId!, CancellationToken.None);
            Assert.True(record is not null, $"answered {answer} but not stored: {fuzz.Description}");
            Assert.Contains(record.Status, new[] { DeliveryStatus.Done, DeliveryStatus.Ignored, DeliveryStatus.Failed });
            if (record.Status == DeliveryStatus.Failed || answer == HttpStatusCode.BadRequest)
            {
                Assert.Equal(DeliveryStatus.Failed, record.Status);
                Assert.False(string.IsNullOrWhiteSpace(record.LastError), $"failed without a reason: {fuzz.Description}");
            }

            kept++;
            statuses[record.Status] = statuses.GetValueOrDefault(record.Status) + 1;
        }

        // The mix reaches every path: handled by the worker (done), ignored at intake, failed with a reason.
        Assert.All(new[] { DeliveryStatus.Done, DeliveryStatus.Ignored, DeliveryStatus.Failed },
            status => Assert.True(statuses.GetValueOrDefault(status) > 100, $"{status}: {statuses.GetValueOrDefault(status)}"));

        Assert.True(kept > Deliveries / 2, $"only {kept} deliveries were kept: the fuzzer no longer reaches the store");
        Assert.False(server.HasExited, "the process died:\n" + Tail(server.Output));

        // And the service still does its job.
        var deliveryId = Guid.NewGuid().ToString();
        using (var normal = await server.SendAsync("pull_request",
            GitHubPayloads.PullRequest("opened", ReviewHarness.Repository, ReviewHarness.Number, h.HeadSha, h.BaseSha), deliveryId, Secret))
        {
            Assert.Equal(HttpStatusCode.Accepted, normal.StatusCode);
        }

        DeliveryRecord? reviewed = null;
        await WaitUntilAsync(async () =>
        {
            reviewed = await store.GetDeliveryAsync(deliveryId, CancellationToken.None);
            return reviewed?.Status is DeliveryStatus.Done or DeliveryStatus.Failed;
        }, server);
        Assert.StartsWith("posted review", reviewed!.Outcome, StringComparison.Ordinal);
        Assert.Single(h.Reviews);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> done, ServerProcess server)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!await done())
        {
            Assert.False(server.HasExited, "the process died:\n" + Tail(server.Output));
            Assert.True(DateTime.UtcNow < deadline, "deliveries were never finished:\n" + Tail(server.Output));
            await Task.Delay(100);
        }
    }

    private static string Tail(string output) => output.Length <= 4000 ? output : output[^4000..];
}

/// <summary>One mutated delivery: its body, headers and what was done to it (for failure messages).</summary>
internal sealed class FuzzCase
{
    private static readonly string[] Events = ["pull_request", "pull_request", "pull_request", "issue_comment", "installation", "installation_repositories", "ping", "push"];
    private static readonly string[] Actions = ["opened", "synchronize", "reopened", "ready_for_review", "created", "added", "closed", "labeled"];

    private FuzzCase(int index) => Index = index;

    public int Index { get; }
    public required byte[] Body { get; init; }
    public required string? Event { get; init; }
    public required string? DeliveryId { get; init; }
    public bool SignedCorrectly { get; init; } = true;
    public string? ContentType { get; init; } = "application/json";
    public required string Description { get; init; }

    /// <summary>Headers the service can key and route a delivery by: it is stored whatever its body.</summary>
    public bool HasUsableHeaders =>
        DeliveryId is { Length: > 0 and <= 200 } id && id.All(c => c is > ' ' and < (char)127)
        && Event is { Length: > 0 and <= 200 } e && e.All(c => c is > ' ' and < (char)127);

    public HttpRequestMessage ToRequest(string secret)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/github/webhooks") { Content = new ByteArrayContent(Body) };
        if (ContentType is not null)
        {
            request.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
        }

        if (Event is not null)
        {
            request.Headers.TryAddWithoutValidation("X-GitHub-Event", Event);
        }

        if (DeliveryId is not null)
        {
            request.Headers.TryAddWithoutValidation("X-GitHub-Delivery", DeliveryId);
        }

        var signature = TestService.Sign(Body, SignedCorrectly ? secret : "not-the-secret");
        request.Headers.TryAddWithoutValidation("X-Hub-Signature-256", signature);
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("GitHub-Hookshot", "fuzz"));
        return request;
    }

    public static FuzzCase Create(Random random, int index)
    {
        var eventName = Events[random.Next(Events.Length)];
        var action = Actions[random.Next(Actions.Length)];
        // Fuzzed deliveries name pull requests the simulator does not have: only the final, normal one is reviewed.
        var number = random.Next(1, 5_000);
        var json = eventName switch
        {
            "issue_comment" => GitHubPayloads.IssueComment("octo-org/fuzz", number, comment: "/critic review"),
            "installation" or "installation_repositories" => GitHubPayloads.Installation(),
            _ => GitHubPayloads.PullRequest(action, "octo-org/fuzz", number),
        };

        var steps = new List<string>();
        var mutations = random.Next(10) == 0 ? 0 : random.Next(1, 4);
        for (var i = 0; i < mutations; i++)
        {
            json = MutateText(random, json, steps);
        }

        var body = Encoding.UTF8.GetBytes(json);
        if (random.Next(8) == 0)
        {
            body = InvalidUtf8(random, body);
            steps.Add("invalid UTF-8");
        }

        if (random.Next(12) == 0)
        {
            body = body[..random.Next(body.Length + 1)];
            steps.Add($"truncated to {body.Length} bytes");
        }

        string? deliveryId = $"fuzz-{index:D5}";
        string? header = eventName;
        var signedCorrectly = true;
        string? contentType = "application/json";
        switch (random.Next(40))
        {
            case 0: deliveryId = null; steps.Add("no X-GitHub-Delivery"); break;
            case 1: header = null; steps.Add("no X-GitHub-Event"); break;
            case 2: deliveryId = new string('d', 300); steps.Add("X-GitHub-Delivery too long"); break;
            case 3: header = "pull request"; steps.Add("X-GitHub-Event with a space"); break;
            case 4: header = "some_future_event"; steps.Add("unknown event"); break;
            case 5: signedCorrectly = false; steps.Add("wrong signature"); break;
            case 6: contentType = "text/plain; charset=latin1"; steps.Add("wrong Content-Type"); break;
            case 7: contentType = null; steps.Add("no Content-Type"); break;
        }

        return new FuzzCase(index)
        {
            Body = body,
            Event = header,
            DeliveryId = deliveryId,
            SignedCorrectly = signedCorrectly,
            ContentType = contentType,
            Description = $"#{index} {eventName}.{action}: {(steps.Count == 0 ? "unchanged" : string.Join(", ", steps))}",
        };
    }

    private static string MutateText(Random random, string json, List<string> steps)
    {
        switch (random.Next(8))
        {
            case 0:
            {
                var cut = random.Next(json.Length);
                steps.Add($"truncated JSON at {cut}");
                return json[..cut];
            }
            case 1:
            {
                var (key, value) = Pick(random, ["\"action\":", "\"number\":", "\"id\":", "\"full_name\":", "\"sha\":", "\"login\":", "\"pull_request\":", "\"installation\":", "\"head\":", "\"body\":"],
                    ["7", "-1", "1e400", "3.5", "\"7\"", "null", "true", "[]", "[1,\"a\"]", "{}", "{\"x\":{}}", "\"\""]);
                steps.Add($"{key} becomes {value}");
                return ReplaceValue(json, key, value);
            }
            case 2:
            {
                var depth = random.Next(20, 400);
                var open = random.Next(2) == 0 ? "[" : "{\"a\":";
                var close = open == "[" ? "]" : "}";
                steps.Add($"nested {depth} deep");
                return ReplaceValue(json, "\"action\":", string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth)));
            }
            case 3:
            {
                var size = random.Next(20) == 0 ? random.Next(256_000, 1_000_000) : random.Next(1_000, 60_000);
                var (key, _) = Pick(random, ["\"action\":", "\"full_name\":", "\"title\":", "\"login\":", "\"body\":", "\"sha\":"], [""]);
                steps.Add($"{key} a string of {size} characters");
                return ReplaceValue(json, key, "\"" + new string((char)random.Next('a', 'z' + 1), size) + "\"");
            }
            case 4:
            {
                var (key, escape) = Pick(random, ["\"action\":", "\"full_name\":", "\"login\":", "\"sha\":", "\"title\":", "\"body\":"],
                    ["\\ud800", "\\udfff", "x\\ud800y", "\\udc00\\ud800", "\\u0000", "\\ud83d"]);
                steps.Add($"{key} holds {escape}");
                return ReplaceValue(json, key, "\"" + escape + "\"");
            }
            case 5:
            {
                var (duplicate, _) = Pick(random, ["\"action\":\"closed\",", "\"pull_request\":7,", "\"installation\":{\"id\":\"x\"},", "\"repository\":null,", "\"action\":\"opened\","], [""]);
                steps.Add($"duplicate key {duplicate}");
                return "{" + duplicate + (json.Length > 0 ? json[1..] : "");
            }
            case 6:
            {
                steps.Add("top level not an object");
                return random.Next(3) switch { 0 => "[" + json + "]", 1 => "\"" + json.Length.ToString(CultureInfo.InvariantCulture) + "\"", _ => "null" };
            }
            default:
            {
                // A stray character anywhere.
                var at = random.Next(json.Length);
                const string strays = "{}[]\",:\\\u0001 x";
                var stray = strays[random.Next(strays.Length)];
                steps.Add($"'{(stray < ' ' ? "\\u0001" : stray.ToString())}' inserted at {at}");
                return json.Insert(at, stray.ToString());
            }
        }
    }

    private static byte[] InvalidUtf8(Random random, byte[] body)
    {
        var bytes = body.ToList();
        var invalid = new byte[][] { [0xFF], [0xC3], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xC0, 0xAF] }[random.Next(6)];
        // Inside a string value most of the time, where a JSON parser does not look at it until asked for the text.
        var quote = bytes.IndexOf((byte)'"', random.Next(Math.Max(1, bytes.Count)));
        var at = quote >= 0 && random.Next(4) != 0 ? quote + 1 : random.Next(bytes.Count + 1);
        bytes.InsertRange(at, invalid);
        return [.. bytes];
    }

    private static (string Key, string Value) Pick(Random random, string[] keys, string[] values) =>
        (keys[random.Next(keys.Length)], values[random.Next(values.Length)]);

    /// <summary>Replaces the value after the first occurrence of <paramref name="key"/> (a scalar, or the whole object/array).</summary>
    private static string ReplaceValue(string json, string key, string value)
    {
        var at = json.IndexOf(key, StringComparison.Ordinal);
        if (at < 0)
        {
            return json;
        }

        var start = at + key.Length;
        var end = EndOfValue(json, start);
        return string.Concat(json.AsSpan(0, start), value, json.AsSpan(end));
    }

    private static int EndOfValue(string json, int start)
    {
        var depth = 0;
        var inString = false;
        for (var i = start; i < json.Length; i++)
        {
            var c = json[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                    if (depth == 0)
                    {
                        return i + 1;
                    }
                }

                continue;
            }

            switch (c)
            {
                case '"':
                    inString = true;
                    break;
                case '{' or '[':
                    depth++;
                    break;
                case '}' or ']':
                    if (depth == 0)
                    {
                        return i;
                    }

                    if (--depth == 0)
                    {
                        return i + 1;
                    }

                    break;
                case ',' when depth == 0:
                    return i;
            }
        }

        return json.Length;
    }
}
