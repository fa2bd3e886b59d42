namespace GovernedExecution.Lineage;

/// <summary>The result of verifying a hash-chained lineage. The default value is not valid.</summary>
public sealed class LineageVerificationResult
{
    internal LineageVerificationResult(bool isValid, long records, string headHash, long? failedAt, string? error)
    {
        IsValid = isValid;
        Records = records;
        HeadHash = headHash;
        FailedAt = failedAt;
        Error = error;
    }

    /// <summary>Whether every record is well formed, in sequence, correctly hashed and linked.</summary>
    public bool IsValid { get; }

    /// <summary>How many records were checked.</summary>
    public long Records { get; }

    /// <summary>The hash of the last valid record (the chain head).</summary>
    public string HeadHash { get; }

    /// <summary>The position (1-based) of the first bad record, when not valid.</summary>
    public long? FailedAt { get; }

    /// <summary>What is wrong with it, when not valid.</summary>
    public string? Error { get; }

    /// <inheritdoc />
    public override string ToString() => IsValid ? $"valid: {Records} records, head {HeadHash}" : $"invalid at {FailedAt}: {Error}";
}
