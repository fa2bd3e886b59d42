namespace GovernedExecution.Execution;

/// <summary>One revocation: of an execution (and the executions nested in or delegated from it), or of a signing key.</summary>
public sealed class RevocationNotice
{
    private RevocationNotice(Guid? executionId, string? keyId)
    {
        ExecutionId = executionId;
        KeyId = keyId;
    }

    /// <summary>The revoked execution, for an execution's revocation.</summary>
    public Guid? ExecutionId { get; }

    /// <summary>The revoked signing key's id, for a key's revocation.</summary>
    public string? KeyId { get; }

    /// <summary>The revocation of an execution.</summary>
    /// <param name="executionId">The execution id (as in lineage and <see cref="GovernedContext.ExecutionId"/>).</param>
    /// <returns>The notice.</returns>
    /// <exception cref="ArgumentException"><paramref name="executionId"/> is empty.</exception>
    public static RevocationNotice ForExecution(Guid executionId) => executionId == Guid.Empty
        ? throw new ArgumentException("An execution id cannot be empty.", nameof(executionId))
        : new(executionId, null);

    /// <summary>The revocation of a signing key: every execution whose artifact it signed.</summary>
    /// <param name="keyId">The key id (as in the artifact's protected header).</param>
    /// <returns>The notice.</returns>
    /// <exception cref="ArgumentException"><paramref name="keyId"/> is <see langword="null"/> or empty.</exception>
    public static RevocationNotice ForKey(string keyId)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        return new(null, keyId);
    }

    /// <inheritdoc />
    public override string ToString() => ExecutionId is { } id ? $"execution {id:D} revoked" : $"key '{KeyId}' revoked";
}
