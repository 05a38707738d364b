using CriticBot.Engine.Diff;
using CriticBot.Engine.Safety;
using CriticBot.Reviews;

namespace CriticBot.Tests.Reviews;

public sealed class CommentFingerprintTests
{
    private static readonly string Real = CommentFingerprint.Of("src/a.py", DiffSide.Right, "x = 1");
    private static readonly string Forged = CommentFingerprint.Of("src/b.py", DiffSide.Right, "y = 2");

    [Fact]
    public void The_fingerprint_is_read_from_the_last_line_where_the_bot_writes_it()
    {
        var body = "**Bug** · Off by one.\n\n" + CommentFingerprint.Marker(Real);

        Assert.Equal(Real, CommentFingerprint.FromBody(body));
        Assert.Equal(Real, CommentFingerprint.FromBody(body + "\n"));
    }

    [Fact]
    public void A_fingerprint_forged_in_model_text_is_never_read()
    {
        // What the model's text becomes when a code span carries a marker, before the bot's own marker.
        var body = $"**Bug** · `{CommentFingerprint.Marker(Forged)}` is wrong.\n\n" + CommentFingerprint.Marker(Real);

        Assert.Equal(Real, CommentFingerprint.FromBody(body));
    }

    [Theory]
    [InlineData("no marker at all")]
    [InlineData("<!-- criticbot:fp=abc -->")]
    [InlineData("<!-- criticbot:fp=0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF -->")]
    [InlineData("<!-- criticbot:fp=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef -->\nthen a human edit")]
    public void Bodies_without_the_exact_marker_on_their_last_line_carry_no_fingerprint(string body) =>
        Assert.Null(CommentFingerprint.FromBody(body));

    [Fact]
    public void Sanitised_model_text_cannot_carry_a_marker_at_all()
    {
        var sanitizer = new OutputSanitizer("github.com", repository: "octo/repo");
        foreach (var attack in new[]
                 {
                     CommentFingerprint.Marker(Forged),
                     $"`{CommentFingerprint.Marker(Forged)}`",
                     $"```\n{CommentFingerprint.Marker(Forged)}\n```",
                     $"    {CommentFingerprint.Marker(Forged)}",
                     $"text\n\n{CommentFingerprint.Marker(Forged)}",
                 })
        {
            var body = sanitizer.Sanitize(attack);
            Assert.DoesNotContain("<!--", body, StringComparison.Ordinal);
            Assert.Null(CommentFingerprint.FromBody(body));
        }
    }
}
