using CriticBot.Engine.Model;

namespace CriticBot.Engine.Tests.Model;

public sealed class RetryDelayTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(null, "2", 2000)]
    [InlineData(null, "0", 0)]
    [InlineData(null, "0.25", 250)]
    [InlineData("150", "9", 150)]
    [InlineData("soon", "1", 1000)]
    [InlineData(null, "Sun, 01 Jun 2025 12:00:07 GMT", 7000)]
    [InlineData(null, "Sun, 01 Jun 2025 11:59:00 GMT", 0)]
    public void Reads_what_the_server_asked_for(string? retryAfterMs, string? retryAfter, double expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), RetryDelay.FromHeaders(retryAfterMs, retryAfter, Now));

    [Theory]
    [InlineData(null, null)]
    [InlineData(null, "later")]
    [InlineData("-5", "-1")]
    [InlineData("NaN", "Infinity")]
    public void No_usable_header_means_no_request(string? retryAfterMs, string? retryAfter) =>
        Assert.Null(RetryDelay.FromHeaders(retryAfterMs, retryAfter, Now));

    [Theory]
    [InlineData(0, 1000)]
    [InlineData(1, 2000)]
    [InlineData(3, 8000)]
    [InlineData(10, 60000)]
    [InlineData(int.MaxValue, 60000)]
    public void Backs_off_exponentially_up_to_the_cap(int retryCount, double expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs),
            RetryDelay.Next(retryCount, null, null, Now, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60)));

    [Fact]
    public void The_cap_also_bounds_what_the_server_asked_for() =>
        Assert.Equal(TimeSpan.FromSeconds(60), RetryDelay.Next(0, null, "3600", Now, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60)));
}
