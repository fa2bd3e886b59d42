using System.Buffers;
using System.Security.Cryptography;

namespace GovernedExecution.Lineage.Merkle;

/// <summary>
/// The RFC 9162 section 2.1 hashes: SHA-256 with domain separation between leaves (prefix 0x00)
/// and interior nodes (prefix 0x01), so that a leaf can never be passed off as a node.
/// </summary>
internal static class MerkleHash
{
    /// <summary>The size in bytes of every hash in the tree (SHA-256).</summary>
    public const int Size = SHA256.HashSizeInBytes;

    private const byte LeafPrefix = 0x00;
    private const byte NodePrefix = 0x01;

    // Leaf data up to this size is prefixed on the stack; larger data goes through a pooled buffer.
    private const int StackLimit = 512;

    /// <summary>Writes SHA-256(0x00 || <paramref name="data"/>) to <paramref name="destination"/>.</summary>
    /// <param name="data">The leaf's data.</param>
    /// <param name="destination">Receives the 32-byte leaf hash.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="Size"/> bytes.</exception>
    public static void LeafHash(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        RequireDestination(destination);

        int length = data.Length + 1;
        if (length <= StackLimit)
        {
            Span<byte> buffer = stackalloc byte[StackLimit];
            HashPrefixed(LeafPrefix, data, buffer[..length], destination);
            return;
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            HashPrefixed(LeafPrefix, data, rented.AsSpan(0, length), destination);
        }
        finally
        {
            // Leaf data may be a sensitive record: do not leave a copy in the shared pool.
            ArrayPool<byte>.Shared.Return(rented, clearArray: true);
        }
    }

    /// <summary>Writes SHA-256(0x01 || <paramref name="left"/> || <paramref name="right"/>) to <paramref name="destination"/>.</summary>
    /// <param name="left">The 32-byte hash of the left subtree.</param>
    /// <param name="right">The 32-byte hash of the right subtree.</param>
    /// <param name="destination">Receives the 32-byte node hash; it may overlap <paramref name="left"/> or <paramref name="right"/>.</param>
    /// <exception cref="ArgumentException">A child is not <see cref="Size"/> bytes long, or <paramref name="destination"/> is too short.</exception>
    public static void NodeHash(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> destination)
    {
        // Fixed-size children keep the concatenation unambiguous.
        if (left.Length != Size)
        {
            throw new ArgumentException($"A child hash must be {Size} bytes.", nameof(left));
        }

        if (right.Length != Size)
        {
            throw new ArgumentException($"A child hash must be {Size} bytes.", nameof(right));
        }

        RequireDestination(destination);

        Span<byte> buffer = stackalloc byte[1 + (2 * Size)];
        buffer[0] = NodePrefix;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + Size)..]);
        Internal.Sha256.Hash(buffer, destination);
    }

    /// <summary>Writes the root of the empty tree, SHA-256 of the empty string, to <paramref name="destination"/>.</summary>
    /// <param name="destination">Receives the 32-byte hash.</param>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="Size"/> bytes.</exception>
    public static void EmptyTreeHash(Span<byte> destination)
    {
        RequireDestination(destination);
        SHA256.HashData(ReadOnlySpan<byte>.Empty, destination);
    }

    private static void HashPrefixed(byte prefix, ReadOnlySpan<byte> data, Span<byte> buffer, Span<byte> destination)
    {
        buffer[0] = prefix;
        data.CopyTo(buffer[1..]);
        Internal.Sha256.Hash(buffer, destination);
    }

    private static void RequireDestination(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"The destination must hold at least {Size} bytes.", nameof(destination));
        }
    }
}
