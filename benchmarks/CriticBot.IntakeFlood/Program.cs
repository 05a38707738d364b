using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

// Intake flood: N slow connections each announce a large body with a wrong signature and trickle it, reconnecting
// whenever the server answers or drops them; meanwhile /healthz is probed and correctly signed deliveries are sent.
// The server's resident (VmRSS) and committed (VmData: private writable mappings) memory is sampled from /proc.
// Loopback only; bounded in connections and time.
//   dotnet run -- --url http://127.0.0.1:5099 --pid 1234 --secret S [--connections 200] [--seconds 20]
//                 [--announce 25000000] [--chunk 4096] [--interval-ms 250]

var options = Options.Parse(args);
if (!IPAddress.TryParse(options.Url.Host, out var address) || !IPAddress.IsLoopback(address))
{
    Console.Error.WriteLine("intake-flood: --url must be a loopback address such as http://127.0.0.1:5099");
    return 2;
}

var endpoint = new IPEndPoint(address, options.Url.Port);
var memory = new MemorySampler(options.Pid);
var baseline = memory.Sample();
Console.WriteLine($"baseline: VmRSS {Mib(baseline.RssKib)} MiB, VmData {Mib(baseline.DataKib)} MiB");

using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(options.Seconds));
var attack = new AttackStats();
var attackers = Enumerable.Range(0, options.Connections)
    .Select(i => Task.Run(() => SlowSenderAsync(endpoint, options, attack, i, stop.Token)))
    .ToArray();

using var client = new HttpClient { BaseAddress = options.Url, Timeout = TimeSpan.FromSeconds(10) };
var probes = new ProbeStats();
var peak = baseline;
var probeNumber = 0;
while (!stop.IsCancellationRequested)
{
    var sample = memory.Sample();
    peak = new MemorySample(Math.Max(peak.RssKib, sample.RssKib), Math.Max(peak.DataKib, sample.DataKib));
    await ProbeAsync(client, options, probes, probeNumber++);
    try
    {
        await Task.Delay(500, stop.Token);
    }
    catch (OperationCanceledException)
    {
    }
}

await Task.WhenAll(attackers);
var end = memory.Sample();
peak = new MemorySample(Math.Max(peak.RssKib, end.RssKib), Math.Max(peak.DataKib, end.DataKib));

Console.WriteLine($"flood: {options.Connections} connections x {options.Announce} announced bytes, wrong signature, "
    + $"{options.Chunk} bytes every {options.IntervalMs} ms each, {options.Seconds} s");
Console.WriteLine($"attack: {attack.Connects} connects, {Mib(attack.BytesSent / 1024)} MiB sent, answers {attack.Describe()}");
Console.WriteLine($"peak:   VmRSS {Mib(peak.RssKib)} MiB (+{Mib(peak.RssKib - baseline.RssKib)}), "
    + $"VmData {Mib(peak.DataKib)} MiB (+{Mib(peak.DataKib - baseline.DataKib)})");
Console.WriteLine($"healthz: {probes.HealthOk}/{probes.HealthTotal} 200, slowest {probes.HealthSlowestMs} ms");
Console.WriteLine($"signed deliveries: {probes.SignedOk}/{probes.SignedTotal} 2xx, slowest {probes.SignedSlowestMs} ms, others {probes.DescribeOthers()}");
return 0;

static string Mib(long kib) => (kib / 1024.0).ToString("0.0", CultureInfo.InvariantCulture);

static async Task SlowSenderAsync(IPEndPoint endpoint, Options options, AttackStats stats, int index, CancellationToken stop)
{
    var chunk = new byte[options.Chunk];
    Array.Fill(chunk, (byte)'a');
    var wrongSignature = "sha256=" + new string('0', 64);
    var attempt = 0;
    while (!stop.IsCancellationRequested)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endpoint, stop);
            Interlocked.Increment(ref stats.Connects);
            var head = "POST /api/github/webhooks HTTP/1.1\r\n"
                + $"Host: {endpoint}\r\n"
                + "Content-Type: application/json\r\n"
                + $"Content-Length: {options.Announce}\r\n"
                + "X-GitHub-Event: pull_request\r\n"
                + $"X-GitHub-Delivery: flood-{index}-{attempt++}\r\n"
                + $"X-Hub-Signature-256: {wrongSignature}\r\n\r\n";
            await socket.SendAsync(Encoding.ASCII.GetBytes(head), SocketFlags.None, stop);
            var answer = ReadStatusAsync(socket, stop);
            long sent = 0;
            while (!stop.IsCancellationRequested && !answer.IsCompleted && sent < options.Announce)
            {
                var size = (int)Math.Min(chunk.Length, options.Announce - sent);
                await socket.SendAsync(chunk.AsMemory(0, size), SocketFlags.None, stop);
                sent += size;
                Interlocked.Add(ref stats.BytesSent, size);
                await Task.WhenAny(answer, Task.Delay(options.IntervalMs, stop));
            }

            if (answer.IsCompleted)
            {
                stats.Count(await answer);
            }
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            if (!stop.IsCancellationRequested)
            {
                stats.Count("dropped");
            }
        }
    }
}

static async Task<string> ReadStatusAsync(Socket socket, CancellationToken stop)
{
    var buffer = new byte[64];
    try
    {
        var read = await socket.ReceiveAsync(buffer, SocketFlags.None, stop);
        if (read == 0)
        {
            return "closed";
        }

        var line = Encoding.ASCII.GetString(buffer, 0, read);
        return line.Length >= 12 ? line[9..12] : "garbled";
    }
    catch (Exception ex) when (ex is SocketException or OperationCanceledException)
    {
        return "reset";
    }
}

static async Task ProbeAsync(HttpClient client, Options options, ProbeStats stats, int number)
{
    var watch = Stopwatch.StartNew();
    try
    {
        using var health = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        stats.Health(health.StatusCode == HttpStatusCode.OK, watch.ElapsedMilliseconds);
    }
    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
    {
        stats.Health(false, watch.ElapsedMilliseconds);
    }

    var body = Encoding.UTF8.GetBytes(
        $$$"""{"action":"opened","number":{{{number + 1}}},"pull_request":{"number":{{{number + 1}}},"head":{"sha":"1111111111111111111111111111111111111111"},"base":{"sha":"2222222222222222222222222222222222222222","ref":"main"}},"repository":{"full_name":"octo-org/widgets","default_branch":"main"},"installation":{"id":4242},"sender":{"login":"octocat"}}""");
    using var request = new HttpRequestMessage(HttpMethod.Post, "/api/github/webhooks") { Content = new ByteArrayContent(body) };
    request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
    request.Headers.Add("X-GitHub-Event", "pull_request");
    request.Headers.Add("X-GitHub-Delivery", $"signed-{Guid.NewGuid()}");
    request.Headers.Add("X-Hub-Signature-256",
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(options.Secret), body)));
    watch.Restart();
    try
    {
        using var response = await client.SendAsync(request);
        stats.Signed((int)response.StatusCode, watch.ElapsedMilliseconds);
    }
    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
    {
        stats.Signed(0, watch.ElapsedMilliseconds);
    }
}

internal sealed record Options(Uri Url, int Pid, string Secret, int Connections, int Seconds, long Announce, int Chunk, int IntervalMs)
{
    public static Options Parse(string[] args)
    {
        string? Get(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        int Int(string name, int fallback, int min, int max) =>
            Math.Clamp(Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback, min, max);
        return new Options(
            new Uri(Get("--url") ?? "http://127.0.0.1:5099"),
            int.Parse(Get("--pid") ?? throw new ArgumentException("--pid is required"), CultureInfo.InvariantCulture),
            Get("--secret") ?? throw new ArgumentException("--secret is required"),
            Int("--connections", 200, 1, 1000),
            Int("--seconds", 20, 1, 120),
            Math.Clamp(Get("--announce") is { } a ? long.Parse(a, CultureInfo.InvariantCulture) : 25_000_000, 1, 100L * 1024 * 1024),
            Int("--chunk", 4096, 1, 1 << 20),
            Int("--interval-ms", 250, 1, 10_000));
    }
}

internal sealed record MemorySample(long RssKib, long DataKib);

internal sealed class MemorySampler(int pid)
{
    public MemorySample Sample()
    {
        long rss = 0, data = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kib(line);
            }
            else if (line.StartsWith("VmData:", StringComparison.Ordinal))
            {
                data = Kib(line);
            }
        }

        return new MemorySample(rss, data);
    }

    private static long Kib(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
}

internal sealed class AttackStats
{
    public long Connects;
    public long BytesSent;
    private readonly Dictionary<string, int> _answers = [];

    public void Count(string answer)
    {
        lock (_answers)
        {
            _answers[answer] = _answers.GetValueOrDefault(answer) + 1;
        }
    }

    public string Describe()
    {
        lock (_answers)
        {
            return _answers.Count == 0 ? "(none)" : string.Join(", ", _answers.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} x{p.Value}"));
        }
    }
}

internal sealed class ProbeStats
{
    private readonly Lock _gate = new();
    private readonly Dictionary<int, int> _others = [];
    public int HealthOk { get; private set; }
    public int HealthTotal { get; private set; }
    public long HealthSlowestMs { get; private set; }
    public int SignedOk { get; private set; }
    public int SignedTotal { get; private set; }
    public long SignedSlowestMs { get; private set; }

    public void Health(bool ok, long ms)
    {
        lock (_gate)
        {
            HealthTotal++;
            HealthOk += ok ? 1 : 0;
            HealthSlowestMs = Math.Max(HealthSlowestMs, ms);
        }
    }

    public void Signed(int status, long ms)
    {
        lock (_gate)
        {
            SignedTotal++;
            SignedSlowestMs = Math.Max(SignedSlowestMs, ms);
            if (status is >= 200 and < 300)
            {
                SignedOk++;
            }
            else
            {
                _others[status] = _others.GetValueOrDefault(status) + 1;
            }
        }
    }

    public string DescribeOthers()
    {
        lock (_gate)
        {
            return _others.Count == 0 ? "(none)" : string.Join(", ", _others.Select(p => $"{p.Key} x{p.Value}"));
        }
    }
}
