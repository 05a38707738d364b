using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using CriticBot.Storage;
using CriticBot.Tests.Fixtures;

namespace CriticBot.Tests.EndToEnd;

/// <summary>
/// The real `criticbot serve` process, killed in the middle of a review and started again on the same database:
/// the review is finished by the new process and posted exactly once.
/// </summary>
public sealed class CrashRecoveryTests
{
    [Fact]
    public async Task Killing_the_server_mid_review_and_starting_it_again_posts_exactly_one_review()
    {
        var critic = ReviewHarness.DefaultCritic();
        var modelCalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new ManualResetEventSlim(false);
        var crashed = 0;
        await using var h = await ReviewHarness.StartAsync(critic, startService: false);
        h.Model.Responder = request =>
        {
            if (Volatile.Read(ref crashed) == 0)
            {
                // The first process is mid-review: hold its model calls until it has been killed.
                modelCalled.TrySetResult();
                release.Wait(TimeSpan.FromSeconds(30));
            }

            return critic.Respond(request);
        };
        var secret = "crash-test-secret";
        var environment = h.ServiceSettings();
        environment["GITHUB_WEBHOOK_SECRET"] = secret;
        environment["CRITICBOT_DATABASE"] = h.Database.Path;
        environment["Inbox__Lease"] = "00:00:02";
        environment["Inbox__RetryBaseDelay"] = "00:00:00.050";
        environment["Inbox__PollInterval"] = "00:00:00.100";
        environment["GitHub__MinimumWriteInterval"] = "00:00:00";
        environment["GitHub__BaseBackoff"] = "00:00:00.010";
        environment.Remove("GitHub:MinimumWriteInterval");
        environment.Remove("GitHub:BaseBackoff");

        var deliveryId = Guid.NewGuid().ToString();
        await using (var first = await ServerProcess.StartAsync(environment))
        {
            using var response = await first.SendAsync("pull_request",
                GitHubPayloads.PullRequest("opened", ReviewHarness.Repository, ReviewHarness.Number, h.HeadSha, h.BaseSha), deliveryId, secret);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            await modelCalled.Task.WaitAsync(TimeSpan.FromSeconds(30));
            first.Kill();
        }

        Volatile.Write(ref crashed, 1);
        release.Set();
        Assert.Empty(h.Reviews);

        await using var second = await ServerProcess.StartAsync(environment);
        await using var store = new SqliteCriticBotStore(h.Database.Path);
        var record = await WaitAsync(() => store.GetDeliveryAsync(deliveryId, CancellationToken.None),
            d => d?.Status is DeliveryStatus.Done or DeliveryStatus.Failed, second);

        Assert.Equal(DeliveryStatus.Done, record!.Status);
        Assert.True(record.Attempts >= 2, $"attempts: {record.Attempts}");
        var review = Assert.Single(h.Reviews);
        Assert.Equal(h.HeadSha, review.CommitId);
        Assert.Equal(2, review.Comments.Count);

        // The dead process's check run was taken over, not duplicated, and is closed.
        var check = Assert.Single(h.GitHub.CheckRuns(ReviewHarness.Repository));
        Assert.Equal("completed", check.Status);
    }

    private static async Task<T> WaitAsync<T>(Func<Task<T>> read, Func<T, bool> done, ServerProcess server)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        T value = await read();
        while (!done(value))
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out; server output:\n" + server.Output);
            await Task.Delay(100);
            value = await read();
        }

        return value;
    }

    /// <summary>`dotnet criticbot.dll serve` on a free loopback port, with its output kept for failure messages.</summary>
    private sealed class ServerProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _output = new();
        private readonly HttpClient _client;

        private ServerProcess(Process process, Uri address)
        {
            _process = process;
            _client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        }

        public string Output
        {
            get
            {
                lock (_output)
                {
                    return _output.ToString();
                }
            }
        }

        public static async Task<ServerProcess> StartAsync(IReadOnlyDictionary<string, string?> environment)
        {
            var port = FreePort();
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = AppContext.BaseDirectory,
            };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "criticbot.dll"));
            start.ArgumentList.Add("serve");
            start.ArgumentList.Add("--urls");
            start.ArgumentList.Add($"http://127.0.0.1:{port}");
            foreach (var (key, value) in environment)
            {
                start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
            }

            start.Environment["Serilog__MinimumLevel__Default"] = "Warning";
            var process = Process.Start(start)!;
            var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}"));
            process.OutputDataReceived += (_, e) => server.Append(e.Data);
            process.ErrorDataReceived += (_, e) => server.Append(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();

            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                Assert.False(process.HasExited, "criticbot serve exited: " + server.Output);
                try
                {
                    using var ready = await server._client.GetAsync(new Uri("/readyz", UriKind.Relative));
                    if (ready.IsSuccessStatusCode)
                    {
                        return server;
                    }
                }
                catch (HttpRequestException)
                {
                }

                Assert.True(DateTime.UtcNow < deadline, "criticbot serve did not become ready: " + server.Output);
                await Task.Delay(100);
            }
        }

        public Task<HttpResponseMessage> SendAsync(string eventName, string body, string deliveryId, string secret)
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/github/webhooks") { Content = new ByteArrayContent(bytes) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Add("X-GitHub-Event", eventName);
            request.Headers.Add("X-GitHub-Delivery", deliveryId);
            request.Headers.Add("X-Hub-Signature-256", TestService.Sign(bytes, secret));
            return _client.SendAsync(request);
        }

        /// <summary>SIGKILL: no graceful shutdown, no released claims — a crash.</summary>
        public void Kill()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(30_000);
        }

        private void Append(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_output)
            {
                _output.AppendLine(line);
            }
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
            _client.Dispose();
        }
    }
}
