using System.Security.Cryptography;

namespace GovernedExecution.Intents;

/// <summary>
/// Computes the digest of an operation's arguments deterministically: SHA-256 over the deterministic CBOR
/// encoding (RFC 8949 section 4.2.1) of the arguments as a record, so that the same values give the same digest
/// on every run and machine whatever the order in which they were given.
/// </summary>
public static class ArgumentsDigest
{
    /// <summary>The length of a digest in bytes.</summary>
    public const int Length = 32;

    /// <summary>Computes the digest of named arguments.</summary>
    /// <param name="arguments">The arguments by name.</param>
    /// <returns>The 32-byte SHA-256 digest.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="arguments"/>, a key or a value is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A name appears twice.</exception>
    public static byte[] Compute(IEnumerable<KeyValuePair<string, IntentValue>> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var record = IntentValue.Record(arguments);
        var writer = new System.Formats.Cbor.CborWriter(System.Formats.Cbor.CborConformanceMode.Canonical);
        IntentEncoding.WriteValue(writer, record);
        return SHA256.HashData(writer.Encode());
    }
}
