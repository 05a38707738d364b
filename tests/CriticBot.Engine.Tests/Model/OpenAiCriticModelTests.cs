using System.Text.Json;
using CriticBot.Engine.Model;
using CriticBot.Testing.FakeModel;

namespace CriticBot.Engine.Tests.Model;

/// <summary>The real OpenAI client over real HTTP against the fake model server.</summary>
public sealed class OpenAiCriticModelTests : IAsyncLifetime
{
    private const string Answer = """{"comments":[{"path":"src/A.cs","line":3,"quote":"x / y","severity":"bug","body":"y may be 0."}]}""";

    private FakeModelServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeModelServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static ModelRequest Request(bool useJsonSchema = true) => new()
    {
        SystemPrompt = "You are a code critic.",
        UserPrompt = "Review this diff:\n+var z = x / y;",
        Temperature = 0.7f,
        MaxOutputTokens = 1234,
        UseJsonSchema = useJsonSchema,
    };

    private static ModelOptions OptionsFor(FakeModelServer server) => new()
    {
        BaseUrl = server.BaseUrl,
        Model = "fake-critic",
        Timeout = TimeSpan.FromSeconds(30),
        MaxRetries = 3,
        RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        MaxRetryDelay = TimeSpan.FromMilliseconds(50),
    };

    private OpenAiCriticModel Model(Func<ModelOptions, ModelOptions>? adjust = null) =>
        new(adjust is null ? OptionsFor(_server) : adjust(OptionsFor(_server)));

    [Fact]
    public async Task Returns_the_text_usage_and_finish_reason()
    {
        _server.Responder = _ => FakeReply.Text(Answer);

        var answer = await Model().CompleteAsync(Request(), CancellationToken.None);

        Assert.Equal(Answer, answer.Text);
        Assert.Equal("stop", answer.FinishReason);
        Assert.Equal(FakeReply.EstimateTokens(Answer), answer.CompletionTokens);
        var seen = Assert.Single(_server.Requests);
        Assert.Equal(seen.Messages.Sum(m => FakeReply.EstimateTokens(m.Content)), answer.PromptTokens);
        Assert.True(answer.PromptTokens > 0);
    }

    [Fact]
    public async Task Sends_model_messages_temperature_and_a_key()
    {
        await Model().CompleteAsync(Request(), CancellationToken.None);

        var seen = Assert.Single(_server.Requests);
        Assert.Equal("fake-critic", seen.Model);
        Assert.Equal(["system", "user"], seen.Messages.Select(m => m.Role));
        Assert.Equal("You are a code critic.", seen.SystemPrompt);
        Assert.Equal("Review this diff:\n+var z = x / y;", seen.UserPrompt);
        Assert.Equal(0.7, seen.Temperature!.Value, 3);
        Assert.True(seen.HasAuthorization, "a local server with no key configured still gets the placeholder key");
        Assert.Equal("[redacted]", seen.Headers["Authorization"]);
    }

    [Fact]
    public async Task Sends_the_critique_schema_as_a_non_strict_json_schema_response_format()
    {
        await Model().CompleteAsync(Request(), CancellationToken.None);

        var seen = Assert.Single(_server.Requests);
        Assert.Equal("json_schema", seen.ResponseFormatType);
        using var format = JsonDocument.Parse(seen.ResponseFormatJson!);
        var schema = format.RootElement.GetProperty("json_schema");
        Assert.Equal(CritiqueSchema.Name, schema.GetProperty("name").GetString());
        Assert.False(schema.GetProperty("strict").GetBoolean());
        var item = schema.GetProperty("schema").GetProperty("properties").GetProperty("comments").GetProperty("items");
        Assert.True(item.GetProperty("properties").TryGetProperty("end_line", out _));
        Assert.DoesNotContain("end_line", item.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Sends_no_response_format_when_the_request_does_not_ask_for_one()
    {
        await Model().CompleteAsync(Request(useJsonSchema: false), CancellationToken.None);

        Assert.Null(Assert.Single(_server.Requests).ResponseFormatType);
    }

    [Fact]
    public async Task Retries_once_without_response_format_when_rejected_and_stops_sending_it()
    {
        _server.EnqueueFault(FakeFault.RejectResponseFormat());
        _server.Responder = _ => FakeReply.Text(Answer);
        var model = Model();

        var first = await model.CompleteAsync(Request(), CancellationToken.None);
        var second = await model.CompleteAsync(Request(), CancellationToken.None);

        Assert.Equal(Answer, first.Text);
        Assert.Equal(Answer, second.Text);
        Assert.True(model.ResponseFormatDisabled);
        Assert.Equal(["json_schema", null, null], _server.Requests.Select(r => r.ResponseFormatType));
    }

    [Fact]
    public async Task A_server_that_never_supports_json_schema_costs_one_extra_request_per_instance()
    {
        await using var server = await FakeModelServer.StartAsync(new FakeModelServerOptions { SupportsJsonSchema = false });
        var model = new OpenAiCriticModel(OptionsFor(server));

        for (var i = 0; i < 3; i++)
            await model.CompleteAsync(Request(), CancellationToken.None);

        Assert.Equal(["json_schema", null, null, null], server.Requests.Select(r => r.ResponseFormatType));
    }

    [Fact]
    public async Task Another_400_is_a_failed_call_and_keeps_the_response_format()
    {
        _server.EnqueueFault(new FakeFault { Kind = FakeFaultKind.Status, StatusCode = 400, ErrorType = "invalid_request_error", ErrorCode = "context_length_exceeded", ErrorMessage = "This model's maximum context length is 8192 tokens." });
        var model = Model();

        var failure = await Assert.ThrowsAsync<ModelCallFailedException>(() => model.CompleteAsync(Request(), CancellationToken.None));

        Assert.Equal(400, failure.StatusCode);
        Assert.Contains("context_length_exceeded", failure.Message, StringComparison.Ordinal);
        Assert.False(model.ResponseFormatDisabled);
        Assert.Single(_server.Requests);
    }

    [Theory]
    [InlineData(MaxTokensParameter.Auto, 1234, 1234)]
    [InlineData(MaxTokensParameter.Both, 1234, 1234)]
    [InlineData(MaxTokensParameter.MaxCompletionTokens, null, 1234)]
    [InlineData(MaxTokensParameter.MaxTokens, 1234, null)]
    public async Task Sends_the_output_token_limit_in_the_configured_fields(MaxTokensParameter parameter, int? maxTokens, int? maxCompletionTokens)
    {
        await Model(o => o with { MaxTokensParameter = parameter }).CompleteAsync(Request(), CancellationToken.None);

        var seen = Assert.Single(_server.Requests);
        Assert.Equal(maxTokens, seen.MaxTokens);
        Assert.Equal(maxCompletionTokens, seen.MaxCompletionTokens);
    }

    [Theory]
    [InlineData("0", null)]
    [InlineData("0.01", null)]
    [InlineData("30", "5")]
    public async Task Retries_after_429_honouring_retry_after(string retryAfter, string? retryAfterMs)
    {
        // "30" s would stall the test unless retry-after-ms (5) wins, or the 50 ms cap applies.
        _server.EnqueueFault(FakeFault.RateLimited(retryAfter, retryAfterMs));
        _server.Responder = _ => FakeReply.Text(Answer);

        var answer = await Model().CompleteAsync(Request(), CancellationToken.None);

        Assert.Equal(Answer, answer.Text);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Theory]
    [InlineData("0.01", null, 10)]
    [InlineData("30", "5", 5)]
    [InlineData("2", null, 50)]
    public async Task The_retry_waits_what_the_server_asked_within_the_cap(string retryAfter, string? retryAfterMs, long expectedDelayMs)
    {
        _server.EnqueueFault(FakeFault.RateLimited(retryAfter, retryAfterMs));
        var logger = new CapturingLogger<OpenAiCriticModel>();

        await new OpenAiCriticModel(OptionsFor(_server), logger).CompleteAsync(Request(), CancellationToken.None);

        var retry = Assert.Single(logger.Entries, e => e.Values.ContainsKey("DelayMs"));
        Assert.Equal(expectedDelayMs, retry.Values["DelayMs"]);
        Assert.Equal(429, retry.Values["Status"]);
    }

    [Fact]
    public async Task Without_retry_after_the_back_off_doubles()
    {
        _server.EnqueueFault(FakeFault.ServerError(), FakeFault.ServerError(), FakeFault.ServerError());
        var logger = new CapturingLogger<OpenAiCriticModel>();
        var options = OptionsFor(_server) with { RetryBaseDelay = TimeSpan.FromMilliseconds(2) };

        await new OpenAiCriticModel(options, logger).CompleteAsync(Request(), CancellationToken.None);

        Assert.Equal([2L, 4L, 8L], logger.Entries.Where(e => e.Values.ContainsKey("DelayMs")).Select(e => e.Values["DelayMs"]));
        Assert.Equal([1, 2, 3], logger.Entries.Where(e => e.Values.ContainsKey("Attempt")).Select(e => e.Values["Attempt"]));
    }

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    public async Task Retries_after_a_server_error(int status)
    {
        _server.EnqueueFault(FakeFault.ServerError(status), FakeFault.ServerError(status));
        _server.Responder = _ => FakeReply.Text(Answer);

        var answer = await Model().CompleteAsync(Request(), CancellationToken.None);

        Assert.Equal(Answer, answer.Text);
        Assert.Equal(3, _server.Requests.Count);
    }

    [Fact]
    public async Task Retries_after_a_dropped_connection()
    {
        _server.EnqueueFault(FakeFault.DropConnection());
        _server.Responder = _ => FakeReply.Text(Answer);

        var answer = await Model().CompleteAsync(Request(), CancellationToken.None);

        Assert.Equal(Answer, answer.Text);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public async Task Persistent_server_errors_fail_the_call_after_the_configured_retries()
    {
        _server.Responder = _ => throw new InvalidOperationException("model crashed");

        var failure = await Assert.ThrowsAsync<ModelCallFailedException>(
            () => Model(o => o with { MaxRetries = 2 }).CompleteAsync(Request(), CancellationToken.None));

        Assert.Equal(500, failure.StatusCode);
        Assert.Contains(_server.BaseUrl.Authority, failure.Message, StringComparison.Ordinal);
        Assert.Contains("500", failure.Message, StringComparison.Ordinal);
        Assert.Equal(3, _server.Requests.Count);
    }

    [Fact]
    public async Task A_wrong_key_makes_the_model_unavailable_without_revealing_the_key()
    {
        const string wrongKey = "sk-wrong-0123456789abcdef";
        await using var server = await FakeModelServer.StartAsync(new FakeModelServerOptions { ExpectedApiKey = "sk-right" });
        var model = new OpenAiCriticModel(OptionsFor(server) with { ApiKey = wrongKey });

        var failure = await Assert.ThrowsAsync<ModelUnavailableException>(() => model.CompleteAsync(Request(), CancellationToken.None));

        Assert.Contains(server.BaseUrl.Authority, failure.Message, StringComparison.Ordinal);
        Assert.Contains("401", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrongKey, failure.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain('\n', failure.Message);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task The_right_key_is_accepted()
    {
        await using var server = await FakeModelServer.StartAsync(new FakeModelServerOptions { ExpectedApiKey = "sk-right" });
        var model = new OpenAiCriticModel(OptionsFor(server) with { ApiKey = "sk-right" });

        var answer = await model.CompleteAsync(Request(), CancellationToken.None);

        Assert.Equal("""{"comments":[]}""", answer.Text);
    }

    [Fact]
    public async Task A_scripted_401_is_not_retried()
    {
        _server.EnqueueFault(FakeFault.Unauthorized());

        await Assert.ThrowsAsync<ModelUnavailableException>(() => Model().CompleteAsync(Request(), CancellationToken.None));

        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task An_unknown_model_makes_the_model_unavailable_naming_the_model()
    {
        await using var server = await FakeModelServer.StartAsync(new FakeModelServerOptions { KnownModels = ["other-model"] });

        var failure = await Assert.ThrowsAsync<ModelUnavailableException>(
            () => new OpenAiCriticModel(OptionsFor(server)).CompleteAsync(Request(), CancellationToken.None));

        Assert.Contains("404", failure.Message, StringComparison.Ordinal);
        Assert.Contains("fake-critic", failure.Message, StringComparison.Ordinal);
        Assert.Contains("model_not_found", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_closed_port_makes_the_model_unavailable()
    {
        var server = await FakeModelServer.StartAsync();
        var options = OptionsFor(server);
        await server.DisposeAsync();

        var failure = await Assert.ThrowsAsync<ModelUnavailableException>(
            () => new OpenAiCriticModel(options).CompleteAsync(Request(), CancellationToken.None));

        Assert.Contains(options.BaseUrl!.Authority, failure.Message, StringComparison.Ordinal);
        Assert.Contains("refused", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_slow_answer_beyond_the_timeout_fails_the_call_instead_of_hanging()
    {
        _server.EnqueueFault(FakeFault.SlowAnswer(TimeSpan.FromMinutes(5)));
        var model = Model(o => o with { Timeout = TimeSpan.FromMilliseconds(300) });

        var failure = await Assert.ThrowsAsync<ModelCallFailedException>(
            () => model.CompleteAsync(Request(), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60)));

        Assert.Null(failure.StatusCode);
        Assert.Contains("did not answer", failure.Message, StringComparison.Ordinal);
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task A_slow_answer_within_the_timeout_succeeds()
    {
        _server.EnqueueFault(FakeFault.SlowAnswer(TimeSpan.FromMilliseconds(50)));

        var answer = await Model().CompleteAsync(Request(), CancellationToken.None);

        Assert.Equal("stop", answer.FinishReason);
    }

    [Fact]
    public async Task Cancellation_by_the_caller_is_not_wrapped()
    {
        _server.EnqueueFault(FakeFault.SlowAnswer(TimeSpan.FromMinutes(5)));
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Model().CompleteAsync(Request(), cancellation.Token));
    }

    [Fact]
    public async Task A_truncated_answer_reports_length()
    {
        _server.Responder = _ => FakeReply.Truncated(Answer, 40);

        var answer = await Model().CompleteAsync(Request(), CancellationToken.None);

        Assert.Equal(Answer[..40], answer.Text);
        Assert.Equal("length", answer.FinishReason);
    }

    [Fact]
    public async Task Empty_and_null_content_become_empty_text()
    {
        var model = Model();
        _server.Responder = _ => FakeReply.Empty();
        var empty = await model.CompleteAsync(Request(), CancellationToken.None);
        _server.Responder = _ => FakeReply.NullContent();
        var none = await model.CompleteAsync(Request(), CancellationToken.None);

        Assert.Equal("", empty.Text);
        Assert.Equal("", none.Text);
        Assert.Equal(0, none.CompletionTokens);
    }

    [Theory]
    [InlineData("content_filter", "content_filter")]
    [InlineData("tool_calls", "tool_calls")]
    public async Task Finish_reasons_are_lowercase_strings(string sent, string expected)
    {
        _server.Responder = _ => new FakeReply { Content = "", FinishReason = sent };

        var answer = await Model().CompleteAsync(Request(), CancellationToken.None);

        Assert.Equal(expected, answer.FinishReason);
    }

    [Theory]
    [InlineData("eos", "eos")]
    [InlineData("ABORT", "abort")]
    [InlineData(null, null)]
    public async Task A_finish_reason_the_client_does_not_know_keeps_the_answer(string? sent, string? expected)
    {
        _server.Responder = _ => new FakeReply { Content = Answer, FinishReason = sent };

        var answer = await Model().CompleteAsync(Request(), CancellationToken.None);

        Assert.Equal(Answer, answer.Text);
        Assert.Equal(expected, answer.FinishReason);
        Assert.Equal(FakeReply.EstimateTokens(Answer), answer.CompletionTokens);
    }

    [Fact]
    public async Task Parallel_calls_share_one_instance()
    {
        var model = Model();
        _server.Responder = request => FakeReply.Text($$"""{"comments":[],"n":{{request.Sequence}}}""");

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => model.CompleteAsync(Request(), CancellationToken.None)));

        Assert.Equal(8, answers.Select(a => a.Text).Distinct().Count());
        Assert.Equal(8, _server.Requests.Count);
    }
}
