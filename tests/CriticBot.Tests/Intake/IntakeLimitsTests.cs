using System.Net;
using System.Net.Sockets;
using System.Text;
using CriticBot.Storage;
using CriticBot.Tests.Fixtures;

namespace CriticBot.Tests.Intake;

/// <summary>
/// Intake under hostile clients, over real sockets: what a body announces is never what is allocated, slow or
/// stalled bodies cannot take every slot, and invalid Unicode in a signed delivery is never a 500.
/// </summary>
[Collection(nameof(IntakeLoadCollection))]
public sealed class IntakeLimitsTests
{
    private static readonly string WrongSignature = "sha256=" + new string('0', 64);

    [Fact]
    public async Task A_stalled_large_body_holds_the_only_large_permit_and_small_signed_deliveries_still_get_through()
    {
        using var database = new TestDatabase();
        await using var service = await TestService.StartAsync(database, new ScriptedHandler(), new Dictionary<string, string?>
        {
            ["CRITICBOT_WEBHOOK_MAX_CONCURRENT_REQUESTS"] = "8",
            ["CRITICBOT_WEBHOOK_MAX_CONCURRENT_LARGE_BODIES"] = "1",
            ["CRITICBOT_WEBHOOK_LARGE_BODY_BYTES"] = "4096",
        });

        using (var stalled = await StallUntilFullAsync(service.Client.BaseAddress!, announced: 500_000))
        {
            using var refused = await SendLargeAsync(service);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("1", refused.Headers.GetValues("Retry-After").Single());

            using var small = await service.SendAsync("pull_request", GitHubPayloads.PullRequest("opened"));
            Assert.Equal(HttpStatusCode.Accepted, small.StatusCode);
        }

        // The permit is free again once the stalled client is gone: the large body is read (and its signature checked).
        var read = await PollAsync(() => SendLargeAsync(service), r => r.StatusCode != HttpStatusCode.ServiceUnavailable);
        Assert.Equal(HttpStatusCode.Unauthorized, read.StatusCode);
    }

    [Fact]
    public async Task A_signed_body_over_the_large_body_size_is_stored_byte_for_byte()
    {
        using var database = new TestDatabase();
        var handler = new ScriptedHandler();
        await using var service = await TestService.StartAsync(database, handler, new Dictionary<string, string?>
        {
            ["CRITICBOT_WEBHOOK_LARGE_BODY_BYTES"] = "4096",
        });
        var deliveryId = Guid.NewGuid().ToString();
        // ~300 KB: the first 4 KiB in one buffer, the rest in pooled segments, joined once the signature matched.
        var body = GitHubPayloads.PullRequest("opened", description: string.Concat(Enumerable.Range(0, 20_000).Select(i => $"line {i} ü\n")));

        using var response = await service.SendAsync("pull_request", body, deliveryId);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await service.WaitForDeliveryAsync(deliveryId, d => d.Status == DeliveryStatus.Done);
        Assert.Equal(body, Assert.Single(handler.Calls).Body);
    }

    [Fact]
    public async Task Requests_beyond_the_limit_get_a_quick_503_with_retry_after_and_nothing_is_stored()
    {
        using var database = new TestDatabase();
        await using var service = await TestService.StartAsync(database, new ScriptedHandler(), new Dictionary<string, string?>
        {
            ["CRITICBOT_WEBHOOK_MAX_CONCURRENT_REQUESTS"] = "2",
            ["CRITICBOT_WEBHOOK_MAX_CONCURRENT_LARGE_BODIES"] = "1",
        });

        using (var stalled = await StallUntilFullAsync(service.Client.BaseAddress!, announced: 500))
        {
            using var refused = await service.SendAsync("pull_request", GitHubPayloads.PullRequest("opened"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("1", refused.Headers.GetValues("Retry-After").Single());
        }

        var accepted = await PollAsync(() => service.SendAsync("pull_request", GitHubPayloads.PullRequest("opened")),
            r => r.StatusCode != HttpStatusCode.ServiceUnavailable);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
        Assert.Equal(1, await service.CountDeliveriesAsync());
    }

    [Fact]
    public async Task A_body_that_does_not_arrive_in_time_is_answered_408()
    {
        using var database = new TestDatabase();
        await using var service = await TestService.StartAsync(database, new ScriptedHandler(), new Dictionary<string, string?>
        {
            ["CRITICBOT_WEBHOOK_BODY_TIMEOUT_SECONDS"] = "1",
        });

        // 10 KB/s: far above Kestrel's minimum data rate (240 B/s), so only the whole-body timeout can stop it.
        using var slow = await RawRequest.StartAsync(service.Client.BaseAddress!, 1_000_000, WrongSignature, firstBytes: 10);
        using var stop = new CancellationTokenSource();
        var trickle = slow.TrickleAsync(1024, TimeSpan.FromMilliseconds(100), stop.Token);

        Assert.Equal("408", await slow.ReadStatusAsync());
        await stop.CancelAsync();
        await trickle;
        Assert.Equal(0, await service.CountDeliveriesAsync());
    }

    [Fact]
    public async Task What_a_body_announces_is_not_allocated_before_it_arrives()
    {
        using var database = new TestDatabase();
        await using var service = await TestService.StartAsync(database, new ScriptedHandler(), new Dictionary<string, string?>
        {
            // The server may drop a connection before its handler has returned: permits for all, so none is refused.
            ["CRITICBOT_WEBHOOK_MAX_CONCURRENT_LARGE_BODIES"] = "64",
        });
        const int requests = 40;
        const int announced = 20_000_000;

        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < requests; i++)
        {
            // 1 KB of a 20 MB announcement, then the client ends its side: the server reads what came and answers
            // or drops the connection.
            using var request = await RawRequest.StartAsync(service.Client.BaseAddress!, announced, WrongSignature, firstBytes: 1024);
            request.EndBody();
            Assert.Contains(await request.ReadStatusAsync(), new[] { "400", "closed", "reset" });
        }

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        // Sizing buffers from Content-Length allocated 40 x 20 MB = 800 MB here.
        Assert.True(allocated < 200L * 1024 * 1024, $"{allocated / (1024 * 1024)} MiB allocated for {requests} requests of 1 KB each");
    }

    [Fact]
    public async Task Invalid_utf8_and_lone_surrogates_in_a_signed_delivery_are_never_a_500()
    {
        using var database = new TestDatabase();
        var handler = new ScriptedHandler();
        await using var service = await TestService.StartAsync(database, handler);
        var invalidUtf8 = Encoding.UTF8.GetBytes(GitHubPayloads.PullRequest("opened").Replace("\"opened\"", "\"openedX\"", StringComparison.Ordinal));
        invalidUtf8[Array.IndexOf(invalidUtf8, (byte)'X')] = 0xC3; // a lead byte with no continuation
        var surrogates = Encoding.UTF8.GetBytes(GitHubPayloads.PullRequest("opened")
            .Replace("\"octo-org/widgets\"", "\"\\ud800\"", StringComparison.Ordinal)
            .Replace("Add the frobnicator", "\\udfff\\ud800", StringComparison.Ordinal));
        var inTitleOnly = Encoding.UTF8.GetBytes(GitHubPayloads.PullRequest("opened").Replace("Add the frobnicator", "Add \\ud800", StringComparison.Ordinal));

        foreach (var body in new[] { invalidUtf8, surrogates, inTitleOnly })
        {
            var deliveryId = Guid.NewGuid().ToString();
            using var response = await service.SendAsync("pull_request", body, deliveryId, TestService.Sign(body, service.Secret));

            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var record = await service.Store.GetDeliveryAsync(deliveryId, default);
            Assert.NotNull(record);
        }
    }

    /// <summary>
    /// Opens stalled requests (headers and a few bytes of the body, then nothing) until one is refused with 503:
    /// then every slot of its kind is held by a stalled request, and stays held until they are disposed.
    /// </summary>
    private static async Task<StalledRequests> StallUntilFullAsync(Uri server, long announced)
    {
        var stalled = new StalledRequests();
        for (var i = 0; i < 20; i++)
        {
            var request = await RawRequest.StartAsync(server, announced, WrongSignature, firstBytes: 10);
            stalled.Add(request);
            if (await request.ReadStatusAsync(TimeSpan.FromMilliseconds(500)) == "503")
            {
                return stalled;
            }
        }

        stalled.Dispose();
        throw new InvalidOperationException("no stalled request was ever refused");
    }

    private sealed class StalledRequests : List<RawRequest>, IDisposable
    {
        public void Dispose() => ForEach(r => r.Dispose());
    }

    private static Task<HttpResponseMessage> SendLargeAsync(TestService service)
    {
        var body = Encoding.UTF8.GetBytes("{\"action\":\"opened\",\"pad\":\"" + new string('x', 8000) + "\"}");
        return service.SendAsync("pull_request", body, Guid.NewGuid().ToString(), WrongSignature);
    }

    /// <summary>Repeats a request until its answer satisfies <paramref name="done"/>; fails after 15 s.</summary>
    private static async Task<HttpResponseMessage> PollAsync(Func<Task<HttpResponseMessage>> send, Func<HttpResponseMessage, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var response = await send();
            if (done(response))
            {
                return response;
            }

            response.Dispose();
            Assert.True(DateTime.UtcNow < deadline, "the expected answer never came");
            await Task.Delay(20);
        }
    }
}

/// <summary>Tests that measure the process's allocations or flood it: never in parallel with other tests.</summary>
[CollectionDefinition(nameof(IntakeLoadCollection), DisableParallelization = true)]
public sealed class IntakeLoadCollection;

/// <summary>A webhook POST written by hand on a socket: headers announcing a body, then as much of it as a test wants.</summary>
internal sealed class RawRequest : IDisposable
{
    private readonly Socket _socket;

    private RawRequest(Socket socket) => _socket = socket;

    public static async Task<RawRequest> StartAsync(Uri server, long announcedLength, string signature, int firstBytes)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.Port));
        var head = "POST /api/github/webhooks HTTP/1.1\r\n"
            + $"Host: 127.0.0.1:{server.Port}\r\n"
            + "Content-Type: application/json\r\n"
            + $"Content-Length: {announcedLength}\r\n"
            + "X-GitHub-Event: pull_request\r\n"
            + $"X-GitHub-Delivery: {Guid.NewGuid()}\r\n"
            + $"X-Hub-Signature-256: {signature}\r\n\r\n";
        await socket.SendAsync(Encoding.ASCII.GetBytes(head + "{" + new string(' ', firstBytes - 1)));
        return new RawRequest(socket);
    }

    /// <summary>Sends <paramref name="chunk"/> bytes of body every <paramref name="every"/> until cancelled or refused.</summary>
    public async Task TrickleAsync(int chunk, TimeSpan every, CancellationToken ct)
    {
        var bytes = new byte[chunk];
        Array.Fill(bytes, (byte)' ');
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await _socket.SendAsync(bytes, SocketFlags.None, ct);
                await Task.Delay(every, ct);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException)
        {
            // Stopped by the test, or the server closed the connection.
        }
    }

    /// <summary>Ends the client's side: the body stops short of what was announced.</summary>
    public void EndBody() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>
    /// The status code of the server's answer ("408"), "closed"/"reset" when it ended the connection without one,
    /// or "none" when nothing came within <paramref name="wait"/> (default: fails after 15 s).
    /// </summary>
    public async Task<string> ReadStatusAsync(TimeSpan? wait = null)
    {
        using var timeout = new CancellationTokenSource(wait ?? TimeSpan.FromSeconds(15));
        var buffer = new byte[64];
        try
        {
            var read = await _socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            return read >= 12 ? Encoding.ASCII.GetString(buffer, 9, 3) : "closed";
        }
        catch (SocketException)
        {
            return "reset";
        }
        catch (OperationCanceledException) when (wait is not null)
        {
            return "none";
        }
    }

    public void Dispose() => _socket.Dispose();
}
