using CriticBot.Feedback;

namespace CriticBot.Tests.Feedback;

public sealed class FeedbackCommandTests
{
    [Theory]
    [InlineData("/critic good", "Good")]
    [InlineData("  /CRITIC  Nit  ", "Nit")]
    [InlineData("thanks!\n/critic wrong\nthe value is checked above", "Wrong")]
    public void The_three_verdicts_parse(string body, string expected) =>
        Assert.Equal(expected, FeedbackCommand.Parse(body)!.GetType().Name);

    [Theory]
    [InlineData("/critic rate 1", 1)]
    [InlineData("/critic rate 7", 7)]
    public void A_rating_from_1_to_7_parses(string body, int rating) =>
        Assert.Equal(new FeedbackCommand.Rate(rating), FeedbackCommand.Parse(body));

    [Theory]
    [InlineData("/critic rate 9")]
    [InlineData("/critic rate 0")]
    [InlineData("/critic rate 10")]
    [InlineData("/critic rate")]
    [InlineData("/critic rate 5 stars")]
    [InlineData("/critic good job")]
    [InlineData("/critic grand")]
    [InlineData("/critic")]
    [InlineData("/critic missed src/a.py")]
    [InlineData("/critic missed src/a.py:0 off by one")]
    [InlineData("/critic missed src/a.py:12")]
    [InlineData("/critic missed /etc/passwd:1 absolute")]
    public void Anything_else_after_critic_is_malformed(string body) =>
        Assert.IsType<FeedbackCommand.Malformed>(FeedbackCommand.Parse(body));

    [Fact]
    public void A_missed_bug_names_path_line_and_description() =>
        Assert.Equal(new FeedbackCommand.Missed("src/billing.py", 9, "a negative percent raises the price"),
            FeedbackCommand.Parse("/critic missed src/billing.py:9 a negative percent raises the price"));

    [Theory]
    [InlineData("no command here")]
    [InlineData("/critic review")]
    [InlineData("/criticism is welcome")]
    [InlineData("")]
    public void Text_without_a_feedback_command_is_none(string body) => Assert.Null(FeedbackCommand.Parse(body));

    [Fact]
    public void Parsing_is_bounded_a_command_after_the_first_lines_or_an_overlong_one_is_not_read()
    {
        Assert.Null(FeedbackCommand.Parse(string.Concat(Enumerable.Repeat("filler\n", 60)) + "/critic good"));
        Assert.IsType<FeedbackCommand.Malformed>(FeedbackCommand.Parse("/critic missed a.py:1 " + new string('x', 5000)));
    }

    [Theory]
    [InlineData("+1", "Positive")]
    [InlineData("heart", "Positive")]
    [InlineData("hooray", "Positive")]
    [InlineData("rocket", "Positive")]
    [InlineData("-1", "Negative")]
    [InlineData("confused", "Negative")]
    [InlineData("laugh", "Neutral")]
    [InlineData("eyes", "Neutral")]
    public void Reactions_map_to_a_direction(string content, string value) =>
        Assert.Equal(value, ReactionPoller.ValueOf(content).ToString());
}
