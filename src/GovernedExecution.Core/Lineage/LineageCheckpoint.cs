using System.Formats.Cbor;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.Cose;
using System.Text;
using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage.Merkle;

namespace GovernedExecution.Lineage;

/// <summary>
/// Checkpoint records: the Merkle tree head of every record before the checkpoint, the tree's frontier (to resume
/// without rehashing), and a COSE_Sign1 signature over the tree head (docs/lineage-format.md).
/// </summary>
internal static class LineageCheckpoint
{
    internal const string ContentType = "application/vnd.governed-execution.lineage-checkpoint+cbor";
    internal const string TreeSize = "tree_size";
    internal const string Root = "root";
    internal const string Frontier = "frontier";
    internal const string Signature = "signature";

    // Keys of the signed CBOR map.
    private const int LogKey = 1;
    private const int TreeSizeKey = 2;
    private const int RootKey = 3;
    private const int TimeKey = 4;
    private const int SequenceKey = 5;

    /// <summary>The checkpoint event for the record at <paramref name="sequence"/>: it covers the <c>sequence - 1</c> records before it.</summary>
    internal static LineageEvent CreateEvent(string logId, long sequence, MerkleAccumulator tree, SigningKey? key, DateTimeOffset time)
    {
        var root = tree.Root();
        var attributes = new List<KeyValuePair<string, string>>(4)
        {
            new(TreeSize, tree.Size.ToString(CultureInfo.InvariantCulture)),
            new(Root, Convert.ToHexStringLower(root)),
            new(Frontier, string.Join(",", tree.Snapshot().SubtreeRoots.Select(r => Convert.ToHexStringLower(r)))),
        };
        if (key is not null)
        {
            var payload = EncodePayload(logId, tree.Size, root, time.ToUnixTimeSeconds(), sequence);
            attributes.Add(new(Signature, System.Buffers.Text.Base64Url.EncodeToString(Sign(key, payload))));
        }

        return new LineageEvent(LineageEventKind.Checkpoint, Guid.Empty, null, time, attributes);
    }

    /// <summary>Restores the tree state a checkpoint record states (its frontier), then appends the checkpoint's own leaf.</summary>
    internal static MerkleAccumulator? TryRestore(LineageRecordLine checkpoint)
    {
        if (!long.TryParse(checkpoint[TreeSize], NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size != checkpoint.Sequence - 1)
        {
            return null;
        }

        try
        {
            var text = checkpoint[Frontier] ?? string.Empty;
            var roots = text.Length == 0 ? [] : text.Split(',').Select(Convert.FromHexString).ToArray();
            var tree = MerkleAccumulator.Restore(new MerkleAccumulatorSnapshot(size, roots));
            if (!string.Equals(Convert.ToHexStringLower(tree.Root()), checkpoint[Root], StringComparison.Ordinal))
            {
                return null;
            }

            tree.Append(LeafHash(checkpoint.Hash));
            return tree;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The Merkle leaf hash of a record: SHA-256(0x00 || the 32 bytes of the record hash).</summary>
    internal static byte[] LeafHash(string recordHashHex)
    {
        var leaf = new byte[MerkleHash.Size];
        MerkleHash.LeafHash(Convert.FromHexString(recordHashHex), leaf);
        return leaf;
    }

    /// <summary>Checks a checkpoint's signature against trusted keys; returns an error, or <see langword="null"/> when it verifies.</summary>
    internal static string? VerifySignature(LineageRecordLine checkpoint, IReadOnlyDictionary<string, TrustedKey> trusted)
    {
        var encoded = checkpoint[Signature];
        if (string.IsNullOrEmpty(encoded))
        {
            return "checkpoint is not signed";
        }

        byte[] bytes;
        try
        {
            bytes = System.Buffers.Text.Base64Url.DecodeFromChars(encoded);
        }
        catch (FormatException)
        {
            return "checkpoint signature is not a COSE_Sign1 message";
        }

        if (VerifyMessage(bytes, trusted, out var key, out var logId, out var size, out var root, out var time, out var sequence) is { } error)
        {
            return error;
        }

        if (!string.Equals(logId, checkpoint.LogId, StringComparison.Ordinal) || sequence != checkpoint.Sequence
            || !string.Equals(size.ToString(CultureInfo.InvariantCulture), checkpoint[TreeSize], StringComparison.Ordinal)
            || !string.Equals(Convert.ToHexStringLower(root), checkpoint[Root], StringComparison.Ordinal))
        {
            return "checkpoint signature is over a different tree head";
        }

        if (!key.IsValidAt(DateTimeOffset.FromUnixTimeSeconds(time)))
        {
            return "checkpoint was signed outside the trusted key's validity period";
        }

        return null;
    }

    /// <summary>
    /// Checks a tree head as a witness receives it (<see cref="LineageTreeHead.Signature"/> is the checkpoint's COSE_Sign1
    /// message) against trusted keys: signed by a trusted key, over exactly this log id, tree size and root, as the
    /// checkpoint record that follows the <c>TreeSize</c> records it covers, within the key's validity period. Returns an
    /// error, or <see langword="null"/> when it verifies.
    /// </summary>
    internal static string? VerifyTreeHead(LineageTreeHead head, IReadOnlyDictionary<string, TrustedKey> trusted)
    {
        if (head.Signature.IsEmpty)
        {
            return "checkpoint is not signed";
        }

        if (VerifyMessage(head.Signature.ToArray(), trusted, out var key, out var logId, out var size, out var root, out var time, out var sequence) is { } error)
        {
            return error;
        }

        if (!string.Equals(logId, head.LogId, StringComparison.Ordinal) || size != head.TreeSize || sequence != head.TreeSize + 1
            || !root.AsSpan().SequenceEqual(head.Root.Span))
        {
            return "checkpoint signature is over a different tree head";
        }

        return key.IsValidAt(DateTimeOffset.FromUnixTimeSeconds(time)) ? null : "checkpoint was signed outside the trusted key's validity period";
    }

    /// <summary>The checks shared by a checkpoint record and a tree head: the COSE_Sign1 message, its key and signature, and its payload.</summary>
    private static string? VerifyMessage(
        byte[] bytes, IReadOnlyDictionary<string, TrustedKey> trusted, out TrustedKey key, out string logId, out long size, out byte[] root, out long time, out long sequence)
    {
        key = null!;
        logId = string.Empty;
        size = time = sequence = -1;
        root = [];
        if (Artifacts.CoseSign1Layer.TryDecodeMessage(bytes) is not { } message)
        {
            return "checkpoint signature is not a COSE_Sign1 message";
        }

        if (message.Content is not { } content
            || !message.ProtectedHeaders.TryGetValue(CoseHeaderLabel.ContentType, out var typeValue)
            || !message.ProtectedHeaders.TryGetValue(CoseHeaderLabel.KeyIdentifier, out var kidValue)
            || !message.ProtectedHeaders.TryGetValue(CoseHeaderLabel.Algorithm, out var algValue))
        {
            return "checkpoint signature lacks its payload, content type, key id or algorithm";
        }

        string keyId;
        int algorithm;
        try
        {
            if (!string.Equals(typeValue.GetValueAsString(), ContentType, StringComparison.Ordinal))
            {
                return "checkpoint signature has the wrong content type";
            }

            keyId = Encoding.UTF8.GetString(kidValue.GetValueAsBytes());
            algorithm = algValue.GetValueAsInt32();
        }
        catch (Exception ex) when (Artifacts.CoseSign1Layer.IsMalformed(ex))
        {
            return "checkpoint signature has malformed headers";
        }

        if (!trusted.TryGetValue(keyId, out var found))
        {
            return "checkpoint is signed by an untrusted key (" + keyId + ")";
        }

        key = found;
        if ((int)key.Algorithm != algorithm)
        {
            return "checkpoint signature algorithm does not match the trusted key";
        }

        bool valid;
        try
        {
            valid = key.Key switch
            {
                ECDsa ec => message.VerifyEmbedded(ec),
                RSA rsa => message.VerifyEmbedded(rsa),
                _ => false,
            };
        }
        catch (Exception ex) when (Artifacts.CoseSign1Layer.IsMalformed(ex))
        {
            valid = false;
        }

        if (!valid)
        {
            return "checkpoint signature does not verify";
        }

        if (!TryDecodePayload(content.Span, out logId, out size, out root, out time, out sequence))
        {
            return "checkpoint signature payload is malformed";
        }

        return null;
    }

    internal static byte[] EncodePayload(string logId, long treeSize, byte[] root, long unixTime, long sequence)
    {
        var writer = new CborWriter(CborConformanceMode.Canonical);
        writer.WriteStartMap(5);
        writer.WriteInt32(LogKey);
        writer.WriteTextString(logId);
        writer.WriteInt32(TreeSizeKey);
        writer.WriteInt64(treeSize);
        writer.WriteInt32(RootKey);
        writer.WriteByteString(root);
        writer.WriteInt32(TimeKey);
        writer.WriteInt64(unixTime);
        writer.WriteInt32(SequenceKey);
        writer.WriteInt64(sequence);
        writer.WriteEndMap();
        return writer.Encode();
    }

    private static bool TryDecodePayload(ReadOnlySpan<byte> payload, out string logId, out long treeSize, out byte[] root, out long time, out long sequence)
    {
        logId = string.Empty;
        treeSize = time = sequence = -1;
        root = [];
        try
        {
            var reader = new CborReader(payload.ToArray(), CborConformanceMode.Canonical);
            if (reader.ReadStartMap() != 5)
            {
                return false;
            }

            for (var expected = LogKey; expected <= SequenceKey; expected++)
            {
                if (reader.ReadInt32() != expected)
                {
                    return false;
                }

                switch (expected)
                {
                    case LogKey: logId = reader.ReadTextString(); break;
                    case TreeSizeKey: treeSize = reader.ReadInt64(); break;
                    case RootKey: root = reader.ReadByteString(); break;
                    case TimeKey: time = reader.ReadInt64(); break;
                    default: sequence = reader.ReadInt64(); break;
                }
            }

            reader.ReadEndMap();
            return reader.BytesRemaining == 0;
        }
        catch (Exception ex) when (ex is CborContentException or InvalidOperationException or FormatException or OverflowException)
        {
            return false;
        }
    }

    private static byte[] Sign(SigningKey key, byte[] payload)
    {
        var protectedHeaders = new CoseHeaderMap
        {
            { CoseHeaderLabel.KeyIdentifier, Encoding.UTF8.GetBytes(key.KeyId) },
            { CoseHeaderLabel.ContentType, ContentType },
        };
        var hash = KeyMaterial.HashFor(key.Algorithm);
        CoseSigner signer = key.Key switch
        {
            ECDsa ec => new CoseSigner(ec, hash, protectedHeaders),
            RSA rsa => new CoseSigner(rsa, RSASignaturePadding.Pss, hash, protectedHeaders),
            _ => throw new InvalidOperationException("Unsupported key type."),
        };
        return CoseSign1Message.SignEmbedded(payload, signer);
    }
}
