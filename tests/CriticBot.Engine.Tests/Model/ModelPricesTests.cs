using CriticBot.Engine.Model;

namespace CriticBot.Engine.Tests.Model;

public sealed class ModelPricesTests
{
    [Fact]
    public void A_list_parses_and_a_dated_model_takes_its_longest_listed_prefix()
    {
        Assert.True(ModelPrices.TryParse(" gpt-4.1=2/0.50/8 ; gpt-4.1-mini=0.40/0.10/1.60 ;", out var prices, out var error), error);
        Assert.Equal(new TokenPrice(0.40m, 0.10m, 1.60m), prices.For("gpt-4.1-mini-2025-04-14"));
        Assert.Equal(new TokenPrice(2m, 0.50m, 8m), prices.For("gpt-4.1-2025-04-14"));
        Assert.Equal(new TokenPrice(2m, 0.50m, 8m), prices.For("GPT-4.1"));
        Assert.Null(prices.For("gpt-4.1x"));
        Assert.Null(prices.For("o3"));
        Assert.Null(prices.For(null));
    }

    [Fact]
    public void Cached_prompt_tokens_cost_their_own_price()
    {
        var price = new TokenPrice(0.40m, 0.10m, 1.60m);
        Assert.Equal((400 * 0.40m + 600 * 0.10m + 50 * 1.60m) / 1_000_000m, price.Cost(1000, 600, 50));
        // More cached than prompt tokens (a confused server) never makes a negative uncached count.
        Assert.Equal(1000 * 0.10m / 1_000_000m, price.Cost(1000, 5000, 0));
    }

    [Theory]
    [InlineData("gpt-4.1-mini")]
    [InlineData("gpt-4.1-mini=0.4/0.1")]
    [InlineData("gpt-4.1-mini=0.4/0.1/-1")]
    [InlineData("gpt-4.1-mini=0,4/0.1/1.6")]
    public void A_bad_entry_is_refused_by_name(string text)
    {
        Assert.False(ModelPrices.TryParse(text, out _, out var error));
        Assert.Contains(ModelPrices.Variable, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Nothing_set_means_no_prices()
    {
        Assert.True(ModelPrices.TryParse("  ", out var prices, out _));
        Assert.Empty(prices.Prices);
    }
}
