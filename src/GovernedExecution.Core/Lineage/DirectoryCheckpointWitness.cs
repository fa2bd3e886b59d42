using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GovernedExecution.Lineage.Merkle;

namespace GovernedExecution.Lineage;

/// <summary>
/// A checkpoint witness in a directory (meant for another volume or a mount of another host, where the log's writer
/// has no other access): one file per log id, replaced atomically (written aside, flushed, renamed, directory
/// flushed), holding the latest checkpoint accepted. It accepts only append-only extensions, checked with RFC 9162
/// consistency proofs, and refuses rollback, truncation and forks.
/// </summary>
public sealed class DirectoryCheckpointWitness : ICheckpointWitness
{
    private readonly Lock _gate = new();

    /// <summary>Uses a directory (created when the first checkpoint is held).</summary>
    /// <param name="directory">The directory.</param>
    /// <exception cref="ArgumentException"><paramref name="directory"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="directory"/> is <see langword="null"/>.</exception>
    public DirectoryCheckpointWitness(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory = Path.GetFullPath(directory);
    }

    /// <summary>The directory.</summary>
    public string Directory { get; }

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="logId"/> is empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="logId"/> is <see langword="null"/>.</exception>
    /// <exception cref="IOException">The witness file cannot be read, or is malformed.</exception>
    public ValueTask<LineageTreeHead?> GetLatestAsync(string logId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(logId);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            return ValueTask.FromResult(Read(logId));
        }
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentNullException"><paramref name="consistencyProof"/> or <paramref name="checkpoint"/> is <see langword="null"/>.</exception>
    /// <exception cref="IOException">The witness file cannot be read or written, or is malformed.</exception>
    public ValueTask AddCheckpointAsync(long oldSize, IReadOnlyList<byte[]> consistencyProof, LineageTreeHead checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(consistencyProof);
        ArgumentNullException.ThrowIfNull(checkpoint);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            using var exclusive = LockLog(checkpoint.LogId);
            var held = Read(checkpoint.LogId);
            var heldSize = held?.TreeSize ?? 0;
            if (oldSize != heldSize)
            {
                throw new CheckpointWitnessRefusedException($"The witness holds a checkpoint of tree size {heldSize} for log '{checkpoint.LogId}', not {oldSize}: the writer's log was rolled back, truncated or forked.");
            }

            if (held is not null)
            {
                if (checkpoint.TreeSize < held.TreeSize)
                {
                    throw new CheckpointWitnessRefusedException($"Checkpoint of tree size {checkpoint.TreeSize} is smaller than the witnessed {held.TreeSize}: a rollback or truncation.");
                }

                var consistent = checkpoint.TreeSize == held.TreeSize
                    ? consistencyProof.Count == 0 && checkpoint.Root.Span.SequenceEqual(held.Root.Span)
                    : MerkleTree.VerifyConsistency((ulong)held.TreeSize, (ulong)checkpoint.TreeSize, held.Root.Span, checkpoint.Root.Span, consistencyProof);
                if (!consistent)
                {
                    throw new CheckpointWitnessRefusedException($"Checkpoint of tree size {checkpoint.TreeSize} is not an append-only extension of the witnessed {held.TreeSize}: a fork.");
                }

                if (checkpoint.TreeSize == held.TreeSize)
                {
                    return ValueTask.CompletedTask;
                }
            }

            Write(checkpoint);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override string ToString() => $"DirectoryCheckpointWitness {{ Directory = {Directory} }}";

    // A log id is any text: the file is named by its digest, and states the id itself.
    private string PathOf(string logId) => Path.Combine(Directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(logId)))[..32] + ".checkpoint.json");

    /// <summary>Another process that uses the same directory waits its turn (briefly), so that no accepted checkpoint is overwritten by a stale writer.</summary>
    private FileStream LockLog(string logId)
    {
        System.IO.Directory.CreateDirectory(Directory);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(PathOf(logId) + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException) when (attempt < 200)
            {
                Thread.Sleep(10);
            }
        }
    }

    private LineageTreeHead? Read(string logId)
    {
        var path = PathOf(logId);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(bytes);
            var root = doc.RootElement;
            var head = new LineageTreeHead(
                root.GetProperty("log").GetString()!,
                root.GetProperty("tree_size").GetInt64(),
                Convert.FromHexString(root.GetProperty("root").GetString()!),
                Convert.FromBase64String(root.GetProperty("signature").GetString()!));
            return string.Equals(head.LogId, logId, StringComparison.Ordinal)
                ? head
                : throw new IOException($"The witness file '{path}' names log '{head.LogId}', not '{logId}'.");
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new IOException($"The witness file '{path}' is malformed.", ex);
        }
    }

    private void Write(LineageTreeHead head)
    {
        var path = PathOf(head.LogId);
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None))
            using (var writer = new Utf8JsonWriter(stream))
            {
                writer.WriteStartObject();
                writer.WriteString("log", head.LogId);
                writer.WriteNumber("tree_size", head.TreeSize);
                writer.WriteString("root", Convert.ToHexStringLower(head.Root.Span));
                writer.WriteString("signature", Convert.ToBase64String(head.Signature.Span));
                writer.WriteEndObject();
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }

        if (NativeMethods.Supported)
        {
            NativeMethods.SyncDirectory(Directory);
        }
    }
}
