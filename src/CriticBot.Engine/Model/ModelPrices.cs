using System.Globalization;

namespace CriticBot.Engine.Model;

/// <summary>What one model charges, in US dollars per million tokens.</summary>
public sealed record TokenPrice(decimal InputPerMillion, decimal CachedInputPerMillion, decimal OutputPerMillion)
{
    /// <summary>The cost of one call: uncached prompt tokens, cached prompt tokens and completion tokens each at their own price.</summary>
    public decimal Cost(long promptTokens, long cachedPromptTokens, long completionTokens)
    {
        var cached = Math.Clamp(cachedPromptTokens, 0, Math.Max(0, promptTokens));
        return ((promptTokens - cached) * InputPerMillion + cached * CachedInputPerMillion + completionTokens * OutputPerMillion) / 1_000_000m;
    }
}

/// <summary>
/// Prices per model, from <c>CRITICBOT_PRICES</c>: <c>MODEL=INPUT/CACHED/OUTPUT</c> in dollars per million tokens,
/// several separated by <c>;</c>, e.g. <c>gpt-4.1-mini=0.40/0.10/1.60;gpt-4.1=2/0.50/8</c>. A model the server names
/// with a date suffix (<c>gpt-4.1-mini-2025-04-14</c>) takes the price of its longest listed prefix.
/// </summary>
public sealed class ModelPrices
{
    public const string Variable = "CRITICBOT_PRICES";

    private readonly Dictionary<string, TokenPrice> _prices;

    private ModelPrices(Dictionary<string, TokenPrice> prices) => _prices = prices;

    public static ModelPrices None { get; } = new(new Dictionary<string, TokenPrice>(StringComparer.OrdinalIgnoreCase));

    public IReadOnlyDictionary<string, TokenPrice> Prices => _prices;

    /// <summary>Parses the variable's value; empty means no prices. The error names the bad entry.</summary>
    public static bool TryParse(string? text, out ModelPrices prices, out string? error)
    {
        prices = None;
        error = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        var parsed = new Dictionary<string, TokenPrice>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = entry.IndexOf('=', StringComparison.Ordinal);
            var parts = equals > 0 ? entry[(equals + 1)..].Split('/', StringSplitOptions.TrimEntries) : [];
            var model = equals > 0 ? entry[..equals].Trim() : "";
            if (model.Length == 0 || parts.Length != 3 || !TryPrice(parts[0], out var input) || !TryPrice(parts[1], out var cached)
                || !TryPrice(parts[2], out var output))
            {
                error = $"{Variable} must be MODEL=INPUT/CACHED/OUTPUT dollars per million tokens, several separated by ';' " +
                        $"(e.g. gpt-4.1-mini=0.40/0.10/1.60), not '{entry}'";
                return false;
            }

            if (!parsed.TryAdd(model, new TokenPrice(input, cached, output)))
            {
                error = $"{Variable} names the model '{model}' twice";
                return false;
            }
        }

        prices = new ModelPrices(parsed);
        return true;
    }

    /// <summary>The price of <paramref name="model"/>: its own entry, else that of the longest entry it starts with; null if none.</summary>
    public TokenPrice? For(string? model)
    {
        if (string.IsNullOrEmpty(model))
        {
            return null;
        }

        if (_prices.TryGetValue(model, out var exact))
        {
            return exact;
        }

        TokenPrice? best = null;
        var bestLength = 0;
        foreach (var (name, price) in _prices)
        {
            if (name.Length > bestLength && model.Length > name.Length && model[name.Length] == '-'
                && model.StartsWith(name, StringComparison.OrdinalIgnoreCase))
            {
                (best, bestLength) = (price, name.Length);
            }
        }

        return best;
    }

    private static bool TryPrice(string text, out decimal price) =>
        decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out price) && price >= 0;
}
