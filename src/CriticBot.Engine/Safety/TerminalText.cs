using System.Text;

namespace CriticBot.Engine.Safety;

/// <summary>
/// Text for a terminal: escape sequences (CSI <c>ESC [ ... final</c>, OSC <c>ESC ] ... BEL</c> or <c>ESC \</c>, and
/// two-character <c>ESC x</c>) are removed whole, and so is every other C0 or C1 control character except new line
/// and tab. File names and model text can then neither recolour, retitle, move the cursor nor hide lines.
/// </summary>
public static class TerminalText
{
    private const char Escape = '\u001B';
    private const char Bell = '\u0007';

    public static string Clean(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var output = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == Escape)
            {
                i = SkipSequence(text, i);
                continue;
            }

            if (c is '\n' or '\t' || !(char.IsControl(c) || c is '\u2028' or '\u2029'))
            {
                output.Append(c);
            }
        }

        return output.ToString();
    }

    /// <summary>The index of the last character of the escape sequence starting at <paramref name="start"/>.</summary>
    private static int SkipSequence(string text, int start)
    {
        if (start + 1 >= text.Length)
        {
            return start;
        }

        var kind = text[start + 1];
        var i = start + 2;
        switch (kind)
        {
            case '[':
                // Parameters and intermediates (0x20-0x3F), then one final byte (0x40-0x7E).
                while (i < text.Length && text[i] >= ' ' && text[i] <= '?')
                {
                    i++;
                }

                return i < text.Length && text[i] >= '@' && text[i] <= '~' ? i : i - 1;
            case ']' or 'P' or '_' or '^' or 'X':
                // A string, ended by BEL or ESC \ (or the end of the text).
                for (; i < text.Length; i++)
                {
                    if (text[i] == Bell)
                    {
                        return i;
                    }

                    if (text[i] == Escape)
                    {
                        return i + 1 < text.Length && text[i + 1] == '\\' ? i + 1 : i - 1;
                    }
                }

                return text.Length - 1;
            default:
                return start + 1;
        }
    }
}
