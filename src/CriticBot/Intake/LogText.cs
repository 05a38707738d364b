using System.Globalization;
using System.Text;

namespace CriticBot.Intake;

/// <summary>
/// Untrusted text (anything from a webhook payload or a header) made fit for a log line: at most
/// <see cref="MaxLength"/> characters, with control, format (bidi overrides) and line-separator characters and
/// lone surrogates replaced, so a payload can neither flood the logs nor forge or disguise a line.
/// </summary>
public static class LogText
{
    public const int MaxLength = 200;

    /// <summary>The value as it may be logged; null stays null.</summary>
    public static string? Untrusted(string? value, int maxLength = MaxLength)
    {
        if (value is null)
        {
            return null;
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 1);
        var kept = Math.Min(value.Length, maxLength);
        if (kept > 0 && char.IsHighSurrogate(value[kept - 1]))
        {
            // Never cut a surrogate pair in half.
            kept--;
        }

        if (kept == value.Length && !NeedsCleaning(value))
        {
            return value;
        }

        var text = new StringBuilder(kept + 24);
        for (var i = 0; i < kept; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < kept && char.IsLowSurrogate(value[i + 1]))
            {
                text.Append(c).Append(value[++i]);
            }
            else
            {
                text.Append(IsUnsafe(c) ? '?' : c);
            }
        }

        if (kept < value.Length)
        {
            text.Append(CultureInfo.InvariantCulture, $"…(+{value.Length - kept} chars)");
        }

        return text.ToString();
    }

    private static bool NeedsCleaning(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (IsUnsafe(c))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsUnsafe(char c) =>
        char.IsControl(c)
        || char.IsSurrogate(c)
        || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;
}
