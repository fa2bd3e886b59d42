using System.Buffers.Binary;
using System.Security.Cryptography;

namespace GovernedExecution.Artifacts;

/// <summary>
/// Batch roots whose signature this verifier has checked, so that the other artifacts of a batch cost hashing only. An
/// entry holds the exact signed bytes (protected header and root), the signature, the key id and the key object that
/// checked them; a hit needs all of them equal. Only a signature check is remembered: the key is looked up, and its
/// trust, algorithm and validity checked, on every verification before the cache is asked. Bounded: a fixed number of
/// slots, each replaced by the next root that lands in it; a miss only costs a signature check.
/// </summary>
internal sealed class BatchRootCache
{
    internal const int Slots = 1024;

    private readonly Entry?[] _slots = new Entry?[Slots];

    internal bool Contains(string keyId, AsymmetricAlgorithm key, ReadOnlySpan<byte> protectedHeader, ReadOnlySpan<byte> root, ReadOnlySpan<byte> signature)
    {
        var entry = Volatile.Read(ref _slots[SlotOf(root)]);
        return entry is not null
            && ReferenceEquals(entry.Key, key)
            && string.Equals(entry.KeyId, keyId, StringComparison.Ordinal)
            && root.SequenceEqual(entry.Root)
            && signature.SequenceEqual(entry.Signature)
            && protectedHeader.SequenceEqual(entry.ProtectedHeader);
    }

    /// <summary>Remembers a root whose signature was just checked with <paramref name="key"/>; call it only then.</summary>
    internal void Add(string keyId, AsymmetricAlgorithm key, ReadOnlySpan<byte> protectedHeader, ReadOnlySpan<byte> root, ReadOnlySpan<byte> signature) =>
        Volatile.Write(ref _slots[SlotOf(root)], new Entry(keyId, key, protectedHeader.ToArray(), root.ToArray(), signature.ToArray()));

    // The root is a SHA-256 output: its first bytes spread the slots evenly, and an attacker who picks roots only
    // evicts (a later miss), never admits.
    private static int SlotOf(ReadOnlySpan<byte> root) => (int)(BinaryPrimitives.ReadUInt32LittleEndian(root) % Slots);

    private sealed record Entry(string KeyId, AsymmetricAlgorithm Key, byte[] ProtectedHeader, byte[] Root, byte[] Signature);
}
