using System.Net;
using System.Net.Http.Json;
using System.Text;
using CriticBot.Storage;
using CriticBot.Tests.Fixtures;

namespace CriticBot.Tests.Intake;

/// <summary>The real endpoint over real HTTP on 127.0.0.1, with a real SQLite file.</summary>
public sealed class WebhookEndpointTests : IAsyncLifetime
{
    private readonly TestDatabase _database = new();
    private readonly ScriptedHandler _handler = new();
    private TestService _service = null!;

    public async Task InitializeAsync() => _service = await TestService.StartAsync(_database, _handler);

    public async Task DisposeAsync()
    {
        await _service.DisposeAsync();
        _database.Dispose();
    }

    [Fact]
    public async Task A_signed_pull_request_delivery_is_accepted_stored_and_handled()
    {
        var deliveryId = Guid.NewGuid().ToString();
        var body = GitHubPayloads.PullRequest("opened", "octo-org/widgets", number: 7);

        var response = await _service.SendAsync("pull_request", body, deliveryId);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var receipt = await response.Content.ReadFromJsonAsync<Dictionary<string, string>>();
        Assert.Equal("queued", receipt!["status"]);
        var record = await _service.WaitForDeliveryAsync(deliveryId, d => d.Status == DeliveryStatus.Done);
        Assert.Equal(("pull_request", "opened", GitHubPayloads.InstallationId, "octo-org/widgets", 7),
            (record.Event, record.Action, record.InstallationId!.Value, record.RepositoryFullName, record.PullRequest!.Value));
        var call = Assert.Single(_handler.Calls);
        Assert.Equal(body, call.Body);
        Assert.Equal(1, call.Attempt);
    }

    [Fact]
    public async Task A_comment_on_a_pull_request_is_queued_with_its_pull_request_number()
    {
        var deliveryId = Guid.NewGuid().ToString();
        var response = await _service.SendAsync("issue_comment", GitHubPayloads.IssueComment(number: 12), deliveryId);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var record = await _service.WaitForDeliveryAsync(deliveryId, d => d.Status == DeliveryStatus.Done);
        Assert.Equal(12, record.PullRequest);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("sha256=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("sha1=da39a3ee5e6b4b0d3255bfef95601890afd80709")]
    [InlineData("sha256=not-hex-not-hex-not-hex-not-hex-not-hex-not-hex-not-hex-not-hex!")]
    public async Task A_missing_or_wrong_signature_is_refused_and_nothing_is_stored(string? signature)
    {
        var body = Encoding.UTF8.GetBytes(GitHubPayloads.PullRequest("opened"));

        var response = await _service.SendAsync("pull_request", body, Guid.NewGuid().ToString(), signature);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, await _service.CountDeliveriesAsync());
    }

    [Fact]
    public async Task A_body_signed_with_another_secret_is_refused()
    {
        var body = Encoding.UTF8.GetBytes(GitHubPayloads.PullRequest("opened"));

        var response = await _service.SendAsync("pull_request", body, Guid.NewGuid().ToString(), TestService.Sign(body, "not-the-secret"));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, await _service.CountDeliveriesAsync());
    }

    [Fact]
    public async Task A_body_over_25_MB_is_refused_by_its_content_length()
    {
        var body = LargeJson(26 * 1024 * 1024);

        var response = await _service.SendAsync("pull_request", body, Guid.NewGuid().ToString(), TestService.Sign(body, _service.Secret));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, await _service.CountDeliveriesAsync());
    }

    [Fact]
    public async Task A_chunked_body_over_25_MB_is_refused_while_reading()
    {
        var body = LargeJson(26 * 1024 * 1024);
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/github/webhooks")
        {
            Content = new StreamContent(new MemoryStream(body)), // no length: sent chunked
        };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.Add("X-GitHub-Event", "pull_request");
        request.Headers.Add("X-GitHub-Delivery", Guid.NewGuid().ToString());
        request.Headers.Add("X-Hub-Signature-256", TestService.Sign(body, _service.Secret));

        var response = await _service.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, await _service.CountDeliveriesAsync());
    }

    [Theory]
    [InlineData("{\"action\": \"opened\",")]
    [InlineData("not json at all")]
    [InlineData("[1, 2, 3]")]
    [InlineData("")]
    public async Task A_signed_body_that_is_not_a_json_object_is_a_bad_request_and_kept_as_failed_with_the_reason(string body)
    {
        var deliveryId = Guid.NewGuid().ToString();

        var response = await _service.SendAsync("pull_request", body, deliveryId);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var record = await _service.Store.GetDeliveryAsync(deliveryId, default);
        Assert.Equal(DeliveryStatus.Failed, record!.Status);
        Assert.StartsWith("malformed payload: The body", record.LastError, StringComparison.Ordinal);
        Assert.Empty(_handler.Calls);
    }

    [Fact]
    public async Task Missing_delivery_or_event_headers_are_a_bad_request()
    {
        var body = Encoding.UTF8.GetBytes(GitHubPayloads.PullRequest("opened"));
        var signature = TestService.Sign(body, _service.Secret);

        var noDelivery = await _service.SendAsync("pull_request", body, deliveryId: null, signature);
        var noEvent = await _service.SendAsync(eventName: null, body, Guid.NewGuid().ToString(), signature);

        Assert.Equal(HttpStatusCode.BadRequest, noDelivery.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noEvent.StatusCode);
        Assert.Equal(0, await _service.CountDeliveriesAsync());
    }

    [Theory]
    [InlineData("star", "{\"action\":\"created\"}")]
    [InlineData("some_future_event", "{\"action\":\"whatever\",\"repository\":{\"full_name\":7}}")]
    [InlineData("pull_request", "{\"action\":\"labeled\",\"number\":3,\"pull_request\":{\"number\":3}}")]
    [InlineData("issue_comment", "{\"action\":\"created\",\"issue\":{\"number\":3}}")]
    [InlineData("ping", "{\"zen\":\"Keep it logically awesome.\",\"hook_id\":1}")]
    public async Task Events_and_actions_we_do_not_handle_are_accepted_and_stored_as_ignored(string eventName, string body)
    {
        var deliveryId = Guid.NewGuid().ToString();

        var response = await _service.SendAsync(eventName, body, deliveryId);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var record = await _service.Store.GetDeliveryAsync(deliveryId, default);
        Assert.Equal(DeliveryStatus.Ignored, record!.Status);
        // An ignored delivery must never reach the handler: once a later delivery is handled, the worker passed it.
        await _service.SendSentinelAndWaitAsync(pullRequest: 99);
        Assert.DoesNotContain(_handler.Calls, call => call.DeliveryId == deliveryId);
    }

    [Fact]
    public async Task A_redelivery_is_answered_2xx_and_handled_only_once()
    {
        var deliveryId = Guid.NewGuid().ToString();
        var body = GitHubPayloads.PullRequest("synchronize");

        var first = await _service.SendAsync("pull_request", body, deliveryId);
        await _service.WaitForDeliveryAsync(deliveryId, d => d.Status == DeliveryStatus.Done);
        var second = await _service.SendAsync("pull_request", body, deliveryId);
        var stored = await _service.CountDeliveriesAsync();
        await _service.SendSentinelAndWaitAsync(pullRequest: 7);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(1, _handler.CallsFor(deliveryId));
        Assert.Equal(1, stored);
    }

    [Fact]
    public async Task The_same_delivery_arriving_many_times_at_once_is_stored_and_handled_once()
    {
        var deliveryId = Guid.NewGuid().ToString();
        var body = GitHubPayloads.PullRequest("synchronize");

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => _service.SendAsync("pull_request", body, deliveryId)));
        await _service.WaitForDeliveryAsync(deliveryId, d => d.Status == DeliveryStatus.Done);
        var stored = await _service.CountDeliveriesAsync();
        await _service.SendSentinelAndWaitAsync(pullRequest: 7);

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Accepted);
        Assert.Equal(7, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(1, _handler.CallsFor(deliveryId));
        Assert.Equal(1, stored);
    }

    [Fact]
    public async Task Health_and_readiness_answer_200()
    {
        Assert.Equal(HttpStatusCode.OK, (await _service.Client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _service.Client.GetAsync("/readyz")).StatusCode);
    }

    private static byte[] LargeJson(int size)
    {
        var body = new byte[size];
        Array.Fill(body, (byte)' ');
        body[0] = (byte)'{';
        body[^1] = (byte)'}';
        return body;
    }
}
