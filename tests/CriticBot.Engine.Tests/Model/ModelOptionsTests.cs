using CriticBot.Engine.Model;

namespace CriticBot.Engine.Tests.Model;

public sealed class ModelOptionsTests
{
    private static ModelOptions FromEnv(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value);
        return ModelOptions.FromEnvironment(name => map.GetValueOrDefault(name));
    }

    [Fact]
    public void Reads_every_setting_from_the_environment()
    {
        var options = FromEnv(
            ("OPENAI_API_KEY", " sk-test "),
            ("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1"),
            ("CRITICBOT_MODEL", "qwen2.5-coder"),
            ("CRITICBOT_MODEL_TIMEOUT_SECONDS", "12.5"),
            ("CRITICBOT_MODEL_MAX_RETRIES", "5"),
            ("CRITICBOT_MAX_TOKENS_PARAMETER", "max_tokens"));

        Assert.Null(options.Validate());
        Assert.Equal("sk-test", options.ApiKey);
        Assert.Equal(new Uri("http://127.0.0.1:8000/v1"), options.BaseUrl);
        Assert.Equal("qwen2.5-coder", options.Model);
        Assert.Equal(TimeSpan.FromSeconds(12.5), options.Timeout);
        Assert.Equal(5, options.MaxRetries);
        Assert.Equal(MaxTokensParameter.MaxTokens, options.MaxTokensParameter);
    }

    [Fact]
    public void Defaults_apply_when_only_a_key_is_set()
    {
        var options = FromEnv(("OPENAI_API_KEY", "sk-test"), ("CRITICBOT_MODEL", "  "));

        Assert.Null(options.Validate());
        Assert.Equal(ModelOptions.DefaultModel, options.Model);
        Assert.Null(options.BaseUrl);
        Assert.Equal(TimeSpan.FromSeconds(100), options.Timeout);
        Assert.Equal(3, options.MaxRetries);
        Assert.Equal("api.openai.com", options.Host);
        Assert.Equal(MaxTokensParameter.MaxCompletionTokens, options.EffectiveMaxTokensParameter);
    }

    [Fact]
    public void A_local_server_needs_no_key() =>
        Assert.Null(FromEnv(("OPENAI_BASE_URL", "http://localhost:11434/v1")).Validate());

    [Fact]
    public void No_key_and_no_base_url_is_an_error_naming_the_key() =>
        Assert.Contains("OPENAI_API_KEY", FromEnv().Validate(), StringComparison.Ordinal);

    [Theory]
    [InlineData("OPENAI_BASE_URL", "127.0.0.1:8000/v1")]
    [InlineData("OPENAI_BASE_URL", "/v1")]
    [InlineData("OPENAI_BASE_URL", "ftp://models.example/v1")]
    [InlineData("OPENAI_BASE_URL", "file:///etc/passwd")]
    [InlineData("CRITICBOT_MODEL_TIMEOUT_SECONDS", "soon")]
    [InlineData("CRITICBOT_MODEL_TIMEOUT_SECONDS", "-1")]
    [InlineData("CRITICBOT_MODEL_MAX_RETRIES", "many")]
    [InlineData("CRITICBOT_MODEL_MAX_RETRIES", "-1")]
    [InlineData("CRITICBOT_MAX_TOKENS_PARAMETER", "tokens")]
    [InlineData("OPENAI_BASE_URL", "http://models.example.com/v1")]
    [InlineData("OPENAI_BASE_URL", "http://192.168.1.20:8000/v1")]
    [InlineData("CRITICBOT_ALLOW_INSECURE_HTTP", "sometimes")]
    public void A_bad_setting_gives_a_one_line_error_naming_it(string variable, string value)
    {
        var error = FromEnv(("OPENAI_API_KEY", "sk-test"), (variable, value)).Validate();

        Assert.NotNull(error);
        Assert.StartsWith(variable, error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
    }

    [Theory]
    [InlineData(null, MaxTokensParameter.MaxCompletionTokens)]
    [InlineData("https://api.openai.com/v1", MaxTokensParameter.MaxCompletionTokens)]
    [InlineData("https://myres.openai.azure.com/openai/v1/", MaxTokensParameter.MaxCompletionTokens)]
    [InlineData("http://127.0.0.1:8000/v1", MaxTokensParameter.Both)]
    public void Auto_sends_max_completion_tokens_to_openai_and_both_fields_elsewhere(string? baseUrl, MaxTokensParameter expected)
    {
        var options = new ModelOptions { Model = "m", ApiKey = "k", BaseUrl = baseUrl is null ? null : new Uri(baseUrl) };

        Assert.Equal(expected, options.EffectiveMaxTokensParameter);
    }

    [Fact]
    public void ToString_never_shows_the_key()
    {
        var options = new ModelOptions { Model = "m", ApiKey = "sk-secret-value" };

        Assert.DoesNotContain("sk-secret-value", options.ToString(), StringComparison.Ordinal);
        Assert.Contains("(set)", options.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_client_refuses_invalid_options_with_the_same_message()
    {
        var options = new ModelOptions { Model = "m", BaseUrl = new Uri("/relative", UriKind.Relative) };

        var error = Assert.Throws<ArgumentException>(() => new OpenAiCriticModel(options));

        Assert.StartsWith(options.Validate()!, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8000/v1", null)]
    [InlineData("http://127.10.0.3:8000/v1", null)]
    [InlineData("http://localhost:11434/v1", null)]
    [InlineData("https://models.example.com/v1", null)]
    [InlineData("http://models.example.com/v1", "true")]
    [InlineData("http://models.example.com/v1", " TRUE ")]
    public void Plain_http_is_allowed_on_loopback_or_when_explicitly_allowed(string baseUrl, string? allowInsecure)
    {
        var variables = new List<(string, string)> { ("OPENAI_BASE_URL", baseUrl) };
        if (allowInsecure is not null)
            variables.Add(("CRITICBOT_ALLOW_INSECURE_HTTP", allowInsecure));

        Assert.Null(FromEnv([.. variables]).Validate());
    }

    [Fact]
    public void Plain_http_elsewhere_is_refused_in_one_line_naming_the_setting_and_the_switch()
    {
        var error = FromEnv(("OPENAI_BASE_URL", "http://models.example.com/v1"), ("OPENAI_API_KEY", "sk-test"), ("CRITICBOT_ALLOW_INSECURE_HTTP", "false")).Validate();

        Assert.NotNull(error);
        Assert.StartsWith("OPENAI_BASE_URL is a plain http:// URL to models.example.com", error, StringComparison.Ordinal);
        Assert.Contains("CRITICBOT_ALLOW_INSECURE_HTTP=true", error, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-test", error, StringComparison.Ordinal);
    }
}
