namespace GovernedExecution.Lineage;

/// <summary>A log's Merkle tree head as a checkpoint states it: log id, tree size, root and the COSE_Sign1 signature.</summary>
public sealed class LineageTreeHead
{
    /// <summary>Creates a tree head.</summary>
    /// <param name="logId">The log id.</param>
    /// <param name="treeSize">The number of records the tree covers, at least 1.</param>
    /// <param name="root">The 32-byte RFC 9162 root.</param>
    /// <param name="signature">The checkpoint's COSE_Sign1 message (empty when the checkpoint is unsigned).</param>
    /// <exception cref="ArgumentException"><paramref name="logId"/> is empty, or <paramref name="root"/> is not 32 bytes.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="logId"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="treeSize"/> is less than 1.</exception>
    public LineageTreeHead(string logId, long treeSize, ReadOnlyMemory<byte> root, ReadOnlyMemory<byte> signature)
    {
        ArgumentException.ThrowIfNullOrEmpty(logId);
        ArgumentOutOfRangeException.ThrowIfLessThan(treeSize, 1);
        if (root.Length != Merkle.MerkleHash.Size)
        {
            throw new ArgumentException("A tree root is 32 bytes.", nameof(root));
        }

        LogId = logId;
        TreeSize = treeSize;
        Root = root.ToArray();
        Signature = signature.ToArray();
    }

    /// <summary>The log id.</summary>
    public string LogId { get; }

    /// <summary>The number of records the tree covers.</summary>
    public long TreeSize { get; }

    /// <summary>The 32-byte root.</summary>
    public ReadOnlyMemory<byte> Root { get; }

    /// <summary>The checkpoint's COSE_Sign1 message; empty when unsigned.</summary>
    public ReadOnlyMemory<byte> Signature { get; }

    /// <inheritdoc />
    public override string ToString() => $"LineageTreeHead {{ LogId = {LogId}, TreeSize = {TreeSize}, Root = {Convert.ToHexStringLower(Root.Span)} }}";
}
