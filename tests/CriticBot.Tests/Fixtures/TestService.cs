using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using CriticBot.Inbox;
using CriticBot.Hosting;
using CriticBot.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CriticBot.Tests.Fixtures;

/// <summary>
/// The real `criticbot serve` host (Kestrel on 127.0.0.1:0, a SQLite file, a random webhook secret) with fast
/// retry settings, plus helpers that sign and send deliveries the way GitHub does.
/// </summary>
public sealed class TestService : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestService(WebApplication app, string secret, Uri baseAddress)
    {
        _app = app;
        Secret = secret;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public string Secret { get; }

    public HttpClient Client { get; }

    public CriticBotStore Store => _app.Services.GetRequiredService<CriticBotStore>();

    public IServiceProvider Services => _app.Services;

    /// <param name="database">The database; pass the same one again to simulate a restart.</param>
    /// <param name="handler">Replaces the default delivery handler when given.</param>
    /// <param name="settings">Configuration overrides (highest precedence).</param>
    public static async Task<TestService> StartAsync(TestDatabase database, IDeliveryHandler? handler = null,
        IReadOnlyDictionary<string, string?>? settings = null, string? secret = null)
    {
        secret ??= Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        var configuration = DefaultSettings(database, secret);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        var app = ServeHost.Build(["--urls", "http://127.0.0.1:0"], builder =>
        {
            builder.Configuration.AddInMemoryCollection(configuration);
            if (handler is not null)
            {
                builder.Services.AddSingleton(handler);
            }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new TestService(app, secret, new Uri(address));
    }

    // One App key for every test host: RSA key generation is slow enough to notice when done per test.
    private static readonly Lazy<string> AppPrivateKey = new(() =>
    {
        using var rsa = RSA.Create(2048);
        return rsa.ExportRSAPrivateKeyPem();
    });

    /// <summary>
    /// Valid settings for every part of the service. GitHub and the model point at a closed port: tests that
    /// need them start the simulator and the fake model and override these.
    /// </summary>
    public static Dictionary<string, string?> DefaultSettings(TestDatabase database, string secret) => new()
    {
        ["GITHUB_APP_ID"] = "4242",
        ["GITHUB_PRIVATE_KEY"] = AppPrivateKey.Value,
        ["GITHUB_API_URL"] = "http://127.0.0.1:9/",
        ["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1",
        ["CRITICBOT_MODEL"] = "test-model",
        ["GITHUB_WEBHOOK_SECRET"] = secret,
        ["CRITICBOT_DATABASE"] = database.Path,
        ["Inbox:RetryBaseDelay"] = "00:00:00.010",
        ["Inbox:RetryMaxDelay"] = "00:00:00.050",
        ["Inbox:PollInterval"] = "00:00:00.050",
        ["Serilog:MinimumLevel:Default"] = "Warning",
    };

    public static string Sign(byte[] body, string secret) =>
        "sha256=" + Convert.ToHexString(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body)).ToLowerInvariant();

    /// <summary>POSTs a delivery signed with this service's secret unless <paramref name="signature"/> is given.</summary>
    public Task<HttpResponseMessage> SendAsync(string eventName, string body, string? deliveryId = null, string? signature = null,
        bool sign = true)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        return SendAsync(eventName, bytes, deliveryId ?? Guid.NewGuid().ToString(), sign ? signature ?? Sign(bytes, Secret) : null);
    }

    public Task<HttpResponseMessage> SendAsync(string? eventName, byte[] body, string? deliveryId, string? signature)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/github/webhooks") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.UserAgent.ParseAdd("GitHub-Hookshot/test");
        if (eventName is not null)
        {
            request.Headers.Add("X-GitHub-Event", eventName);
        }

        if (deliveryId is not null)
        {
            request.Headers.Add("X-GitHub-Delivery", deliveryId);
        }

        if (signature is not null)
        {
            request.Headers.Add("X-Hub-Signature-256", signature);
        }

        return Client.SendAsync(request);
    }

    /// <summary>
    /// Polls the store until the delivery satisfies <paramref name="condition"/>; fails after 60 s (a cap for a
    /// failing test only: a loaded machine can take many seconds for a review).
    /// </summary>
    public Task<DeliveryRecord> WaitForDeliveryAsync(string deliveryId, Func<DeliveryRecord, bool> condition) =>
        WaitForDeliveryAsync(Store, deliveryId, condition);

    public static async Task<DeliveryRecord> WaitForDeliveryAsync(CriticBotStore store, string deliveryId, Func<DeliveryRecord, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        DeliveryRecord? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await store.GetDeliveryAsync(deliveryId, CancellationToken.None);
            if (last is not null && condition(last))
            {
                return last;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"Delivery {deliveryId} never reached the expected state; last seen: {last}");
    }

    /// <summary>
    /// Sends a <c>pull_request</c> delivery for <paramref name="pullRequest"/> and waits until the inbox has finished
    /// it. The worker claims the oldest ready delivery first and a pull request's deliveries in receipt order, so once
    /// this one is finished the worker has passed over everything sent before it: the event a test waits for before
    /// asserting that something did NOT happen, instead of a fixed time.
    /// </summary>
    public async Task SendSentinelAndWaitAsync(int pullRequest)
    {
        var id = "sentinel-" + Guid.NewGuid().ToString("N");
        using var response = await SendAsync("pull_request", GitHubPayloads.PullRequest("synchronize", number: pullRequest), id);
        await WaitForDeliveryAsync(id, d => d.Status is DeliveryStatus.Done or DeliveryStatus.Failed);
    }

    public async Task<int> CountDeliveriesAsync()
    {
        var counts = await Store.CountDeliveriesByStatusAsync(CancellationToken.None);
        return counts.Values.Sum();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
