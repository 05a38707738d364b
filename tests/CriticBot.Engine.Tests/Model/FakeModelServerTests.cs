using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CriticBot.Testing.FakeModel;

namespace CriticBot.Engine.Tests.Model;

/// <summary>The fake server on its own, through a plain HttpClient.</summary>
public sealed class FakeModelServerTests : IAsyncLifetime
{
    private readonly HttpClient _http = new();
    private FakeModelServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeModelServer.StartAsync(new FakeModelServerOptions { KnownModels = ["m1", "m2"] });

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private Task<HttpResponseMessage> PostAsync(string body, string? key = null)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, $"{_server.BaseUrl}/chat/completions")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        if (key is not null)
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return _http.SendAsync(message);
    }

    [Fact]
    public void Listens_on_loopback_under_v1()
    {
        Assert.Equal("127.0.0.1", _server.BaseUrl.Host);
        Assert.Equal("/v1", _server.BaseUrl.AbsolutePath);
    }

    [Fact]
    public async Task Lists_its_models()
    {
        using var document = JsonDocument.Parse(await _http.GetStringAsync($"{_server.BaseUrl}/models"));

        Assert.Equal("list", document.RootElement.GetProperty("object").GetString());
        Assert.Equal(["m1", "m2"], document.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Answers_a_chat_completion_in_openai_shape_and_records_the_request()
    {
        _server.Responder = _ => FakeReply.Text("hello there");
        const string body = """
            {"model":"m1","temperature":0.5,"max_tokens":99,"messages":[{"role":"system","content":"sys"},
             {"role":"user","content":[{"type":"text","text":"part one "},{"type":"text","text":"part two"}]}],
             "response_format":{"type":"json_object"}}
            """;

        using var response = await PostAsync(body, key: "k");
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var root = document.RootElement;
        Assert.Equal("chat.completion", root.GetProperty("object").GetString());
        Assert.Equal("m1", root.GetProperty("model").GetString());
        var choice = Assert.Single(root.GetProperty("choices").EnumerateArray());
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal("hello there", choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        var usage = root.GetProperty("usage");
        Assert.Equal(FakeReply.EstimateTokens("hello there"), usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32(), usage.GetProperty("total_tokens").GetInt32());

        var seen = Assert.Single(_server.Requests);
        Assert.Equal(("m1", 0.5, 99, (int?)null, "json_object"), (seen.Model, seen.Temperature, seen.MaxTokens, seen.MaxCompletionTokens, seen.ResponseFormatType));
        Assert.Equal("part one part two", seen.UserPrompt);
        Assert.Equal("sys", seen.SystemPrompt);
        Assert.True(seen.HasAuthorization);
        Assert.DoesNotContain(seen.Headers.Values, v => v.Contains("Bearer k", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Malformed_json_gets_a_400_and_is_still_recorded()
    {
        using var response = await PostAsync("{not json");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("invalid_json", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.NotNull(Assert.Single(_server.Requests).BodyError);
    }

    [Fact]
    public async Task Faults_are_consumed_in_order_before_the_responder()
    {
        _server.EnqueueFault(FakeFault.RateLimited("0.5", "500"), FakeFault.ServerError(503));
        const string body = """{"model":"m1","messages":[]}""";

        using var first = await PostAsync(body);
        using var second = await PostAsync(body);
        using var third = await PostAsync(body);

        Assert.Equal([HttpStatusCode.TooManyRequests, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK], [first.StatusCode, second.StatusCode, third.StatusCode]);
        Assert.Equal("0.5", first.Headers.GetValues("Retry-After").Single());
        Assert.Equal("500", first.Headers.GetValues("retry-after-ms").Single());
        Assert.Equal(0, _server.PendingFaults);
    }

    [Fact]
    public async Task An_unknown_model_gets_a_404()
    {
        using var response = await PostAsync("""{"model":"nope","messages":[]}""");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("model_not_found", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dropped_connection_gives_no_answer()
    {
        _server.EnqueueFault(FakeFault.DropConnection());

        await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync("""{"model":"m1","messages":[]}"""));
    }

    [Fact]
    public async Task Records_concurrent_requests_in_arrival_order()
    {
        await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
        {
            using var response = await PostAsync("""{"model":"m2","messages":[]}""");
            response.EnsureSuccessStatusCode();
        }));

        Assert.Equal(Enumerable.Range(1, 20), _server.Requests.Select(r => r.Sequence));
    }
}
