using Microsoft.ML.Tokenizers;

namespace CriticBot.Engine.Chunking;

/// <summary>Counts the tokens a model will see for a text.</summary>
public interface ITokenCounter
{
    int Count(string text);
}

/// <summary>Counts with OpenAI's o200k_base encoding (GPT-4o and later), built into the package: no download.</summary>
public sealed class TiktokenTokenCounter : ITokenCounter
{
    // Loading the vocabulary takes a noticeable moment; do it once per process, on first use.
    private static readonly Lazy<TiktokenTokenizer> Tokenizer = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));

    public int Count(string text) => string.IsNullOrEmpty(text) ? 0 : Tokenizer.Value.CountTokens(text);
}
