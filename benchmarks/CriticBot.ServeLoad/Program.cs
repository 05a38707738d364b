using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using CriticBot.ServeLoad;
using CriticBot.Testing.FakeModel;
using CriticBot.Testing.GitHub;

// Many reviews at once (issue 12): the GitHub simulator and the fake model run in this process; a real
// `criticbot serve` process is started against them. N pull requests of F files each are opened at once, and while
// they are reviewed a steady, open-loop stream of signed deliveries (ping, issues, pull_request "labeled": stored
// as ignored, so each one is a durable insert) measures intake. The server's memory is sampled from /proc
// (VmRSS, VmHWM) and its GC heap from /metrics. Loopback only; bounded in time.
//   dotnet CriticBot.ServeLoad.dll --server-dll path/criticbot.dll [--prs 50] [--files 100] [--lines 40]
//     [--latency-ms 300-2500] [--rate 20] [--idle-seconds 10] [--max-seconds 900] [--server-env KEY=VALUE]...
var options = LoadOptions.Parse(args);
// This process also runs the simulator and the fake model: enough threads that its own scheduling is not what is timed.
ThreadPool.SetMinThreads(64, 64);
var culture = CultureInfo.InvariantCulture;
var work = Directory.CreateTempSubdirectory("criticbot-serve-load-");
Console.WriteLine($"serve-load: {options.PullRequests} pull requests x {options.Files} files of {options.Lines} lines, "
    + $"model latency {options.LatencyMinMs}-{options.LatencyMaxMs} ms, intake stream {options.Rate}/s");

await using var github = await GitHubSimulator.StartAsync();
await using var model = await FakeModelServer.StartAsync();
var pem = github.RegisterApp(LoadOptions.AppId);
var pulls = Workload.Arrange(github, options);
var modelStats = new ModelStats();
model.AsyncResponder = (request, ct) => modelStats.AnswerAsync(request, options, ct);

var port = FreePort();
var url = new Uri($"http://127.0.0.1:{port}");
var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20));
using var server = ServerProcess.Start(options, url, work.FullName, new Dictionary<string, string>
{
    ["GITHUB_APP_ID"] = LoadOptions.AppId.ToString(culture),
    ["GITHUB_PRIVATE_KEY"] = pem,
    ["GITHUB_API_URL"] = github.ApiUrl.ToString(),
    ["GITHUB_WEBHOOK_SECRET"] = secret,
    ["OPENAI_BASE_URL"] = model.BaseUrl.ToString(),
    ["OPENAI_API_KEY"] = "sk-load-test",
    ["CRITICBOT_MODEL"] = "critic-load",
    ["CRITICBOT_DATABASE"] = Path.Combine(work.FullName, "serve-load.db"),
});

var exitCode = 1;
try
{
    using var client = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
    {
        BaseAddress = url,
        Timeout = TimeSpan.FromSeconds(30),
    };
    await server.WaitUntilReadyAsync(client, TimeSpan.FromSeconds(60));
    var sender = new DeliverySender(client, secret, pulls);
    var memory = new MemoryWatch(server.Pid, client);

    // Warm-up: JIT the intake path and open connections, as a server that has run a while has.
    for (var i = 0; i < 50; i++)
    {
        await sender.SendAsync(DeliveryKind.Ping, 0);
    }

    var startup = memory.ReadProc();
    Console.WriteLine($"after start: VmRSS {Mib(startup.RssKib)} MiB");

    // Phase 1: the same stream while nothing is reviewed: the intake baseline on this machine, now.
    using (var idleStop = new CancellationTokenSource(TimeSpan.FromSeconds(options.IdleSeconds)))
    {
        var idleSampling = memory.RunAsync(idleStop.Token);
        var idle = await sender.StreamAsync(options.Rate, idleStop.Token);
        await idleSampling;
        Report("intake, no reviews running", idle);
    }

    var beforeReviews = memory.ReadProc();
    Console.WriteLine($"before the reviews: VmRSS {Mib(beforeReviews.RssKib)} MiB, VmHWM {Mib(beforeReviews.HwmKib)} MiB, load {Uptime()}");

    // Phase 2: every pull request opened at once, the stream running until every review is posted.
    memory.ResetPeaks();
    using var reviewStop = new CancellationTokenSource();
    var sampling = memory.RunAsync(reviewStop.Token, () => Workload.ReviewsInProgress(github, pulls));
    var stream = sender.StreamAsync(options.Rate, reviewStop.Token);
    var started = Stopwatch.StartNew();
    var opens = await Task.WhenAll(pulls.Select(pull => sender.TimedAsync(DeliveryKind.Opened, pull.Index)));
    var loadAverages = new List<string> { Uptime() };
    var deadline = TimeSpan.FromSeconds(options.MaxSeconds);
    var lastLoad = Stopwatch.StartNew();
    int posted;
    while ((posted = Workload.PullRequestsReviewed(github, pulls)) < pulls.Count && started.Elapsed < deadline)
    {
        await Task.Delay(500);
        if (lastLoad.Elapsed > TimeSpan.FromSeconds(30))
        {
            loadAverages.Add(Uptime());
            lastLoad.Restart();
        }
    }

    var allPostedAfter = started.Elapsed;
    await reviewStop.CancelAsync();
    var during = await stream;
    await sampling;
    var end = memory.ReadProc();
    loadAverages.Add(Uptime());

    Console.WriteLine();
    Console.WriteLine($"reviews: {posted}/{pulls.Count} pull requests reviewed (review posted) in {allPostedAfter.TotalSeconds:0.0} s; "
        + $"at most {memory.PeakReviewsInProgress} check runs in progress at once");
    Console.WriteLine($"model: {modelStats.Calls} calls, at most {modelStats.PeakInFlight} in flight at once, "
        + $"{modelStats.PromptCharacters / 1024.0 / 1024.0:0.0} MiB of prompts");
    Console.WriteLine($"opened deliveries (all {opens.Length} sent at once): {Percentiles(opens.Where(o => o.Ok).Select(o => o.Milliseconds).ToList())}, "
        + $"{opens.Count(o => !o.Ok)} not 2xx");
    Report("intake while the reviews ran", during);
    Console.WriteLine($"memory while the reviews ran: peak VmRSS sampled {Mib(memory.PeakRssKib)} MiB, VmHWM at the end {Mib(end.HwmKib)} MiB "
        + $"(whole process life), VmRSS at the end {Mib(end.RssKib)} MiB");
    Console.WriteLine($"GC (from /metrics): {memory.DescribeRuntime()}");
    Console.WriteLine($"load average (1, 5, 15 min) during the run: {string.Join(" | ", loadAverages)}");
    var missing = pulls.Where(p => github.Reviews(p.Repository, p.Number).Count == 0).Select(p => p.Repository).ToList();
    if (missing.Count > 0)
    {
        Console.WriteLine($"NOT reviewed in time: {string.Join(", ", missing.Take(10))}{(missing.Count > 10 ? ", ..." : "")}");
    }

    exitCode = missing.Count == 0 && during.Failures == 0 && opens.All(o => o.Ok) ? 0 : 1;
}
finally
{
    await server.StopAsync();
    if (options.KeepLog is { } keep)
    {
        File.Copy(Path.Combine(work.FullName, "server.log"), keep, overwrite: true);
    }
    if (exitCode != 0)
    {
        Console.WriteLine("server log (last lines):");
        foreach (var line in server.LastLines(30))
        {
            Console.WriteLine("  " + line);
        }
    }

    try
    {
        work.Delete(recursive: true);
    }
    catch (IOException)
    {
    }
}

return exitCode;

static void Report(string what, StreamResult result) =>
    Console.WriteLine($"{what}: {result.Latencies.Count} deliveries, {Percentiles(result.Latencies)}, {result.Failures} not 2xx; "
        + $"histogram {Histogram(result.Latencies)}");

static string Percentiles(List<double> milliseconds)
{
    if (milliseconds.Count == 0)
    {
        return "none";
    }

    milliseconds.Sort();
    double At(double q) => milliseconds[Math.Min(milliseconds.Count - 1, (int)Math.Ceiling(q * milliseconds.Count) - 1)];
    return string.Create(CultureInfo.InvariantCulture,
        $"p50 {At(0.50):0.0} ms, p95 {At(0.95):0.0} ms, p99 {At(0.99):0.0} ms, max {milliseconds[^1]:0.0} ms");
}

static string Histogram(List<double> milliseconds)
{
    double[] bounds = [1, 2, 5, 10, 20, 50, 100, 1000];
    var parts = new List<string>();
    var below = 0.0;
    foreach (var bound in bounds)
    {
        var count = milliseconds.Count(m => m >= below && m < bound);
        parts.Add(string.Create(CultureInfo.InvariantCulture, $"<{bound}: {count}"));
        below = bound;
    }

    parts.Add(string.Create(CultureInfo.InvariantCulture, $">={below}: {milliseconds.Count(m => m >= below)}"));
    return string.Join(", ", parts);
}

static string Mib(long kib) => (kib / 1024.0).ToString("0.0", CultureInfo.InvariantCulture);

static string Uptime()
{
    try
    {
        var fields = File.ReadAllText("/proc/loadavg").Split(' ');
        return $"{fields[0]} {fields[1]} {fields[2]}";
    }
    catch (IOException)
    {
        return "?";
    }
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

namespace CriticBot.ServeLoad
{
    internal sealed record LoadOptions
    {
        public const long AppId = 88;

        public required string ServerDll { get; init; }
        public int PullRequests { get; init; } = 50;
        public int Files { get; init; } = 100;
        public int Lines { get; init; } = 40;
        public int Installations { get; init; } = 10;
        public int LatencyMinMs { get; init; } = 300;
        public int LatencyMaxMs { get; init; } = 2500;
        public int Rate { get; init; } = 20;
        public int IdleSeconds { get; init; } = 10;
        public int MaxSeconds { get; init; } = 900;
        public IReadOnlyDictionary<string, string> ServerEnvironment { get; init; } = new Dictionary<string, string>();
        public string? KeepLog { get; init; }

        public static LoadOptions Parse(string[] args)
        {
            string? Get(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
            int Int(string name, int fallback, int min, int max) =>
                Math.Clamp(Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback, min, max);
            var latency = (Get("--latency-ms") ?? "300-2500").Split('-');
            var environment = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < args.Length - 1; i++)
            {
                if (args[i] == "--server-env" && args[i + 1].Split('=', 2) is [var key, var value])
                {
                    environment[key] = value;
                }
            }

            return new LoadOptions
            {
                ServerDll = Path.GetFullPath(Get("--server-dll") ?? throw new ArgumentException("--server-dll is required")),
                PullRequests = Int("--prs", 50, 1, 200),
                Files = Int("--files", 100, 1, 1000),
                Lines = Int("--lines", 40, 2, 2000),
                Installations = Int("--installations", 10, 1, 200),
                LatencyMinMs = int.Parse(latency[0], CultureInfo.InvariantCulture),
                LatencyMaxMs = int.Parse(latency[^1], CultureInfo.InvariantCulture),
                Rate = Int("--rate", 20, 1, 1000),
                IdleSeconds = Int("--idle-seconds", 10, 1, 300),
                MaxSeconds = Int("--max-seconds", 900, 10, 3600),
                ServerEnvironment = environment,
                KeepLog = Get("--keep-log") is { } keep ? Path.GetFullPath(keep) : null,
            };
        }
    }

    internal sealed record LoadPull(int Index, long InstallationId, string Repository, int Number, string BaseSha, string HeadSha, string Author);

    /// <summary>The pull requests: each in its own repository, installations shared round robin, authors distinct.</summary>
    internal static class Workload
    {
        public static IReadOnlyList<LoadPull> Arrange(GitHubSimulator github, LoadOptions options)
        {
            var pulls = new List<LoadPull>();
            for (var installation = 0; installation < Math.Min(options.Installations, options.PullRequests); installation++)
            {
                github.AddInstallation(InstallationId(installation), $"org{installation}", appId: LoadOptions.AppId);
            }

            for (var index = 0; index < options.PullRequests; index++)
            {
                var installation = index % options.Installations;
                var owner = $"org{installation}";
                var repository = github.AddRepository(owner, $"service{index:00}", InstallationId(installation));
                var baseSha = Sha(index, 0);
                var headSha = Sha(index, 1);
                var files = Enumerable.Range(0, options.Files)
                    .Select(file => SimulatedFile.WithPatch($"src/pkg{file / 20}/module{file:000}.py", AddedPatch(Module(index, file, options.Lines)), "added"))
                    .ToList();
                github.OpenPullRequest(repository, 1, "main", baseSha, headSha, files, author: $"dev{index:00}", title: $"Add {options.Files} modules");
                pulls.Add(new LoadPull(index, InstallationId(installation), repository, 1, baseSha, headSha, $"dev{index:00}"));
            }

            return pulls;
        }

        /// <summary>The line the fake critic reports in every pull request: line 2 of its first module.</summary>
        public static string PlantedLine(int pull) => $"    return value * 0 + offset  # pull {pull} module 0";

        public static int PullRequestsReviewed(GitHubSimulator github, IReadOnlyList<LoadPull> pulls) =>
            pulls.Count(p => github.Reviews(p.Repository, p.Number).Count > 0);

        public static int ReviewsInProgress(GitHubSimulator github, IReadOnlyList<LoadPull> pulls) =>
            pulls.Count(p => github.CheckRuns(p.Repository).Any(run => run.Status == "in_progress"));

        private static long InstallationId(int installation) => 7000 + installation;

        private static string Sha(int pull, int commit) =>
            Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"pull {pull} commit {commit}")))[..40];

        private static string Module(int pull, int file, int lines)
        {
            var text = new StringBuilder();
            for (var function = 0; text.Length == 0 || text.ToString().Count(c => c == '\n') < lines; function++)
            {
                text.Append(CultureInfo.InvariantCulture, $"def scale_{file}_{function}(value, offset=0):\n");
                text.Append(CultureInfo.InvariantCulture, $"    return value * {function} + offset  # pull {pull} module {file}\n\n");
            }

            return text.ToString();
        }

        private static string AddedPatch(string content)
        {
            var lines = content.TrimEnd('\n').Split('\n');
            return $"@@ -0,0 +1,{lines.Length} @@\n" + string.Join('\n', lines.Select(l => "+" + l));
        }
    }

    /// <summary>The fake critic: waits a random, realistic model latency, then reports the planted line when its file is in the prompt.</summary>
    internal sealed class ModelStats
    {
        private readonly Random _random = new(12);
        private readonly Lock _gate = new();
        private int _inFlight;
        private long _promptCharacters;

        public int Calls { get; private set; }
        public int PeakInFlight { get; private set; }
        public long PromptCharacters => Interlocked.Read(ref _promptCharacters);

        public async Task<FakeReply> AnswerAsync(RecordedChatRequest request, LoadOptions options, CancellationToken ct)
        {
            int delay;
            lock (_gate)
            {
                delay = _random.Next(options.LatencyMinMs, options.LatencyMaxMs + 1);
                Calls++;
                PeakInFlight = Math.Max(PeakInFlight, ++_inFlight);
            }

            try
            {
                var text = request.AllText;
                Interlocked.Add(ref _promptCharacters, text.Length);
                await Task.Delay(delay, ct);
                var comments = new JsonArray();
                var marker = text.IndexOf("  # pull ", StringComparison.Ordinal);
                if (marker >= 0 && text.Contains("src/pkg0/module000.py", StringComparison.Ordinal))
                {
                    var digits = text.AsSpan(marker + "  # pull ".Length);
                    var pull = int.Parse(digits[..digits.IndexOf(' ')], CultureInfo.InvariantCulture);
                    comments.Add(new JsonObject
                    {
                        ["path"] = "src/pkg0/module000.py",
                        ["line"] = 2,
                        ["quote"] = Workload.PlantedLine(pull).Trim(),
                        ["severity"] = "bug",
                        ["body"] = "Multiplying by zero discards the value: every result is just the offset.",
                    });
                }

                return FakeReply.Text(new JsonObject { ["comments"] = comments }.ToJsonString());
            }
            finally
            {
                lock (_gate)
                {
                    _inFlight--;
                }
            }
        }
    }

    internal enum DeliveryKind
    {
        Ping,
        Issues,
        Labeled,
        Opened,
    }

    internal sealed record TimedDelivery(bool Ok, double Milliseconds);

    internal sealed record StreamResult(List<double> Latencies, int Failures);

    /// <summary>Signs and sends deliveries as GitHub does; times each from sending to the answer's headers.</summary>
    internal sealed class DeliverySender(HttpClient client, string secret, IReadOnlyList<LoadPull> pulls)
    {
        private long _sequence;

        public async Task<StreamResult> StreamAsync(int perSecond, CancellationToken stop)
        {
            // Open loop: a delivery leaves every 1/rate seconds whether or not earlier ones were answered, so a
            // slow answer cannot hide the ones queued behind it.
            var latencies = new ConcurrentBag<double>();
            var failures = 0;
            var inFlight = new List<Task>();
            var clock = Stopwatch.StartNew();
            var interval = TimeSpan.FromSeconds(1.0 / perSecond);
            for (var n = 0L; !stop.IsCancellationRequested; n++)
            {
                var due = interval * n - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    try
                    {
                        await Task.Delay(due, stop);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }

                var kind = (DeliveryKind)(n % 3);
                var pull = (int)(n % pulls.Count);
                inFlight.Add(Task.Run(async () =>
                {
                    var result = await TimedAsync(kind, pull);
                    if (result.Ok)
                    {
                        latencies.Add(result.Milliseconds);
                    }
                    else
                    {
                        Interlocked.Increment(ref failures);
                    }
                }, CancellationToken.None));
                inFlight.RemoveAll(t => t.IsCompleted);
            }

            await Task.WhenAll(inFlight);
            return new StreamResult([.. latencies], failures);
        }

        public async Task SendAsync(DeliveryKind kind, int pull)
        {
            var result = await TimedAsync(kind, pull);
            if (!result.Ok)
            {
                throw new InvalidOperationException($"intake refused a {kind} delivery");
            }
        }

        public async Task<TimedDelivery> TimedAsync(DeliveryKind kind, int pull)
        {
            var (eventName, body) = Payload(kind, pulls[pull]);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/github/webhooks") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            request.Headers.Add("X-GitHub-Event", eventName);
            request.Headers.Add("X-GitHub-Delivery", $"load-{Interlocked.Increment(ref _sequence)}-{Guid.NewGuid():N}");
            request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body)));
            var watch = Stopwatch.StartNew();
            try
            {
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                return new TimedDelivery(response.IsSuccessStatusCode, watch.Elapsed.TotalMilliseconds);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                return new TimedDelivery(false, watch.Elapsed.TotalMilliseconds);
            }
        }

        private static (string Event, byte[] Body) Payload(DeliveryKind kind, LoadPull pull)
        {
            var repository = new JsonObject
            {
                ["id"] = 500_000 + pull.Index,
                ["name"] = pull.Repository.Split('/')[1],
                ["full_name"] = pull.Repository,
                ["private"] = true,
                ["owner"] = new JsonObject { ["login"] = pull.Repository.Split('/')[0], ["type"] = "Organization" },
                ["default_branch"] = "main",
            };
            var installation = new JsonObject { ["id"] = pull.InstallationId };
            var sender = new JsonObject { ["login"] = pull.Author, ["type"] = "User" };
            JsonObject payload = kind switch
            {
                DeliveryKind.Ping => new JsonObject
                {
                    ["zen"] = "Keep it logically awesome.",
                    ["hook_id"] = 1234,
                    ["hook"] = new JsonObject { ["type"] = "App", ["id"] = 1234, ["events"] = new JsonArray("pull_request", "issue_comment") },
                    ["repository"] = repository,
                    ["installation"] = installation,
                    ["sender"] = sender,
                },
                DeliveryKind.Issues => new JsonObject
                {
                    ["action"] = "opened",
                    ["issue"] = new JsonObject { ["number"] = 100 + pull.Index, ["title"] = "Flaky build", ["body"] = "It fails sometimes.", ["user"] = sender.DeepClone() },
                    ["repository"] = repository,
                    ["installation"] = installation,
                    ["sender"] = sender,
                },
                _ => new JsonObject
                {
                    ["action"] = kind == DeliveryKind.Opened ? "opened" : "labeled",
                    ["number"] = pull.Number,
                    ["pull_request"] = new JsonObject
                    {
                        ["number"] = pull.Number,
                        ["state"] = "open",
                        ["draft"] = false,
                        ["title"] = "Add modules",
                        ["user"] = sender.DeepClone(),
                        ["head"] = new JsonObject { ["ref"] = "feature", ["sha"] = pull.HeadSha, ["repo"] = repository.DeepClone() },
                        ["base"] = new JsonObject { ["ref"] = "main", ["sha"] = pull.BaseSha, ["repo"] = repository.DeepClone() },
                    },
                    ["label"] = kind == DeliveryKind.Labeled ? new JsonObject { ["name"] = "needs-review" } : null,
                    ["repository"] = repository,
                    ["installation"] = installation,
                    ["sender"] = sender,
                },
            };
            var eventName = kind switch
            {
                DeliveryKind.Ping => "ping",
                DeliveryKind.Issues => "issues",
                _ => "pull_request",
            };
            return (eventName, Encoding.UTF8.GetBytes(payload.ToJsonString()));
        }
    }

    internal sealed record ProcMemory(long RssKib, long HwmKib);

    /// <summary>The server's memory: /proc every 250 ms, and the runtime's gauges from /metrics every 2 s.</summary>
    internal sealed class MemoryWatch(int pid, HttpClient client)
    {
        private readonly Dictionary<string, double> _runtimePeaks = new(StringComparer.Ordinal);

        public long PeakRssKib { get; private set; }
        public int PeakReviewsInProgress { get; private set; }

        public void ResetPeaks()
        {
            PeakRssKib = 0;
            _runtimePeaks.Clear();
        }

        public ProcMemory ReadProc()
        {
            long rss = 0, hwm = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = Kib(line);
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    hwm = Kib(line);
                }
            }

            return new ProcMemory(rss, hwm);
        }

        public async Task RunAsync(CancellationToken stop, Func<int>? reviewsInProgress = null)
        {
            var tick = 0;
            while (!stop.IsCancellationRequested)
            {
                PeakRssKib = Math.Max(PeakRssKib, ReadProc().RssKib);
                if (reviewsInProgress is not null)
                {
                    PeakReviewsInProgress = Math.Max(PeakReviewsInProgress, reviewsInProgress());
                }

                if (tick++ % 8 == 0)
                {
                    await ScrapeAsync();
                }

                try
                {
                    await Task.Delay(250, stop);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }

        public string DescribeRuntime()
        {
            if (_runtimePeaks.Count == 0)
            {
                return "(no runtime gauges in /metrics)";
            }

            string Peak(string name, double scale, string unit) =>
                _runtimePeaks.TryGetValue(name, out var value) ? (value / scale).ToString("0.0", CultureInfo.InvariantCulture) + unit : "?";
            return $"peak heap after a GC {Peak("dotnet_gc_last_collection_heap_size_bytes", 1024 * 1024, " MiB")}, "
                + $"peak committed {Peak("dotnet_gc_last_collection_memory_committed_size_bytes", 1024 * 1024, " MiB")}, "
                + $"peak thread-pool threads {Peak("dotnet_thread_pool_thread_count", 1, "")}, "
                + $"peak thread-pool queue {Peak("dotnet_thread_pool_queue_length", 1, "")}";
        }

        private async Task ScrapeAsync()
        {
            string text;
            try
            {
                text = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                return;
            }

            // Sum each metric over its labels (heap size is per generation), then keep the peak.
            var sums = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var line in text.Split('\n'))
            {
                if (!line.StartsWith("dotnet_", StringComparison.Ordinal))
                {
                    continue;
                }

                // "name{labels} value [timestamp]": the value follows the closing brace (or the name).
                var nameEnd = line.IndexOfAny(['{', ' ']);
                if (nameEnd <= 0)
                {
                    continue;
                }

                var brace = line.IndexOf('}', StringComparison.Ordinal);
                var parts = line[(brace >= 0 ? brace + 1 : nameEnd)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 0 || !double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                {
                    continue;
                }

                var name = line[..nameEnd];
                sums[name] = sums.GetValueOrDefault(name) + value;
            }

            foreach (var (name, sum) in sums)
            {
                _runtimePeaks[name] = Math.Max(_runtimePeaks.GetValueOrDefault(name), sum);
            }
        }

        private static long Kib(string line) =>
            long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// `criticbot serve` as a child process writing its log straight to a file (not through a pipe this process
    /// drains: a slow reader would block the server's console writes and be measured as slow intake).
    /// </summary>
    internal sealed class ServerProcess : IDisposable
    {
        private readonly Process _process;
        private readonly string _logPath;

        private ServerProcess(Process process, string logPath)
        {
            _process = process;
            _logPath = logPath;
        }

        public int Pid => _process.Id;

        public static ServerProcess Start(LoadOptions options, Uri url, string work, IReadOnlyDictionary<string, string> environment)
        {
            var logPath = Path.Combine(work, "server.log");
            var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = work };
            foreach (var argument in new[] { "-c", "exec dotnet \"$1\" serve --urls \"$2\" >\"$3\" 2>&1", "sh", options.ServerDll, url.ToString().TrimEnd('/'), logPath })
            {
                start.ArgumentList.Add(argument);
            }

            foreach (var (key, value) in environment.Concat(options.ServerEnvironment))
            {
                start.Environment[key] = value;
            }

            var process = Process.Start(start) ?? throw new InvalidOperationException("could not start /bin/sh");
            return new ServerProcess(process, logPath);
        }

        public async Task WaitUntilReadyAsync(HttpClient client, TimeSpan timeout)
        {
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < timeout)
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"criticbot serve exited with {_process.ExitCode}: {string.Join(" / ", LastLines(10))}");
                }

                try
                {
                    using var ready = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
                    if (ready.IsSuccessStatusCode)
                    {
                        return;
                    }
                }
                catch (HttpRequestException)
                {
                }

                await Task.Delay(200);
            }

            throw new TimeoutException("criticbot serve did not become ready");
        }

        public IReadOnlyList<string> Lines()
        {
            try
            {
                using var shared = new FileStream(_logPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                using var reader = new StreamReader(shared);
                return reader.ReadToEnd().Split('\n');
            }
            catch (IOException)
            {
                return [];
            }
        }

        public IEnumerable<string> LastLines(int count) => Lines().TakeLast(count);

        public async Task StopAsync()
        {
            if (_process.HasExited)
            {
                return;
            }

            // SIGTERM: the host stops gracefully (releases claims, checkpoints the database).
            using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            _process.Dispose();
        }
    }
}
