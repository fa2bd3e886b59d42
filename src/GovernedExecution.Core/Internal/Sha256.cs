using System.Security.Cryptography;

namespace GovernedExecution.Internal;

/// <summary>
/// SHA-256 of small inputs on the hot path (lineage records, Merkle leaves and nodes) with one reusable context per
/// thread: the cryptography library sets up and frees a context for every one-shot hash, which costs more than
/// hashing a few hundred bytes.
/// </summary>
internal static class Sha256
{
    [ThreadStatic]
    private static IncrementalHash? t_hash;

    /// <summary>Writes SHA-256(<paramref name="data"/>) to the first 32 bytes of <paramref name="destination"/>.</summary>
    internal static void Hash(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        var hash = t_hash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        try
        {
            hash.AppendData(data);
            if (hash.TryGetHashAndReset(destination, out var written) && written == SHA256.HashSizeInBytes)
            {
                return;
            }
        }
        catch
        {
            // A context that failed halfway may hold part of this input: it never hashes another.
            Drop(hash);
            throw;
        }

        Drop(hash);
        throw new CryptographicException("The hash did not fit its destination.");
    }

    private static void Drop(IncrementalHash hash)
    {
        t_hash = null;
        hash.Dispose();
    }
}
