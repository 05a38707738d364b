using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CriticBot.Export.Files;

namespace CriticBot.Export;

/// <summary>
/// <c>--split FRACTION --seed N</c>: a pull request goes wholly to train or wholly to test, never split by row, so no
/// pull request's code is on both sides. Its side is the first 8 bytes of SHA-256("{seed}:{owner/name}#{number}")
/// (lower-case name) read as a fraction of 2^64: below FRACTION is train. The same seed gives the same split on any
/// machine and in any export that contains the pull request.
/// </summary>
public sealed class PullRequestSplit
{
    private readonly double? _fraction;
    private readonly int _seed;
    private string? _lastRepository;
    private int _lastNumber;
    private ExportSplit _last;

    public PullRequestSplit(double? fraction, int seed)
    {
        if (fraction is { } f && (!(f > 0) || !(f < 1)))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), "a split fraction is between 0 and 1");
        }

        _fraction = fraction;
        _seed = seed;
    }

    public ExportSplit Of(string repository, int pullRequest)
    {
        if (_fraction is not { } fraction)
        {
            return ExportSplit.Train;
        }

        // Rows of one pull request mostly follow each other: one hash per run of them.
        if (pullRequest == _lastNumber && string.Equals(repository, _lastRepository, StringComparison.Ordinal))
        {
            return _last;
        }

        var key = string.Create(CultureInfo.InvariantCulture, $"{_seed}:{repository.ToLowerInvariant()}#{pullRequest}");
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);
        var position = BinaryPrimitives.ReadUInt64BigEndian(hash) / 18446744073709551616.0;
        _lastRepository = repository;
        _lastNumber = pullRequest;
        _last = position < fraction ? ExportSplit.Train : ExportSplit.Test;
        return _last;
    }
}
