using System.Security.Cryptography;

namespace GovernedExecution.Internal;

/// <summary>
/// Version 4 UUIDs (RFC 9562, section 5.4) from the cryptographic random generator, drawn from a small per-thread
/// pool. <see cref="Guid.NewGuid"/> costs a system call per id here; an execution id and a token id are made on every
/// governed call.
/// </summary>
internal static class RandomIds
{
    private const int PoolSize = 512;

    [ThreadStatic]
    private static byte[]? t_pool;

    [ThreadStatic]
    private static int t_next;

    /// <summary>A new random id: 122 random bits, the version and variant bits set.</summary>
    internal static Guid NewGuid()
    {
        var pool = t_pool;
        var next = t_next;
        if (pool is null || next == PoolSize)
        {
            pool = t_pool ??= new byte[PoolSize];
            RandomNumberGenerator.Fill(pool);
            next = 0;
        }

        Span<byte> bytes = stackalloc byte[16];
        var drawn = pool.AsSpan(next, 16);
        drawn.CopyTo(bytes);

        // Each random byte is handed out once.
        drawn.Clear();
        t_next = next + 16;
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}
