using GovernedExecution.Artifacts.Keys;

namespace GovernedExecution.Lineage.Browsing;

/// <summary>What to verify against: trusted checkpoint keys (signatures unchecked without them) and a witness directory (files only).</summary>
internal sealed record LineageVerifyRequest
{
    internal IReadOnlyList<TrustedKey>? TrustedKeys { get; init; }

    /// <summary>A <see cref="DirectoryCheckpointWitness"/> directory each file log must consistently contain the checkpoint of.</summary>
    internal string? WitnessDirectory { get; init; }
}

/// <summary>A log's verification status. The default is <see cref="NotVerified"/>.</summary>
internal enum LogVerificationStatus
{
    /// <summary>Not (yet) verified.</summary>
    NotVerified = 0,

    /// <summary>Chain and every checkpoint good, and checkpoint signatures checked against trusted keys.</summary>
    Verified,

    /// <summary>Not valid: at <see cref="LogVerification.BrokenAt"/>, for <see cref="LogVerification.Reason"/>.</summary>
    Broken,

    /// <summary>The chain is good, but no checkpoint signature was checked (no trusted keys given, or no checkpoint yet).</summary>
    Unsigned,
}

/// <summary>One log's verification, in the words of <c>govexec lineage verify</c>.</summary>
internal sealed record LogVerification
{
    internal required string Log { get; init; }

    internal required LogVerificationStatus Status { get; init; }

    /// <summary>Good records (the last good sequence number).</summary>
    internal long Records { get; init; }

    internal long Checkpoints { get; init; }

    internal bool SignaturesChecked { get; init; }

    /// <summary>The sequence number (position in the log) of the first bad record, when broken.</summary>
    internal long? BrokenAt { get; init; }

    /// <summary>Why it is broken (the verifier's sentence), or why unsigned.</summary>
    internal string? Reason { get; init; }

    /// <summary>The file and line of the first error, for file logs.</summary>
    internal string? File { get; init; }

    internal long? Line { get; init; }

    internal long RecordsLost { get; init; }

    internal IReadOnlyList<string> Notices { get; init; } = [];
}

/// <summary>How far verification has come: bytes (files) or records (database) done of the total known at the start.</summary>
internal readonly record struct LineageVerifyProgress(string Log, long Done, long Total);

/// <summary>An inclusion proof's bytes (UTF-8 JSON with a final line feed), or why there is none.</summary>
internal sealed record InclusionProofResult(byte[]? Proof, string? Error)
{
    internal bool Succeeded => Proof is not null;
}

/// <summary>Health figures of every log a browser reads.</summary>
internal sealed record LineageStats(IReadOnlyList<LogStats> Logs);

/// <summary>Health figures of one log.</summary>
internal sealed record LogStats
{
    /// <summary>The key the browser uses for the log (file logs: the path given; database: the writer id).</summary>
    internal required string Log { get; init; }

    /// <summary>A name for people (file name; the writer's name).</summary>
    internal required string Name { get; init; }

    /// <summary>The log id its records state.</summary>
    internal string? LogId { get; init; }

    /// <summary>The last record's sequence number (the record count of a whole log).</summary>
    internal long Records { get; init; }

    internal DateTimeOffset? LastRecordAt { get; init; }

    internal DateTimeOffset? LastCheckpointAt { get; init; }

    /// <summary>The tree size of the last checkpoint.</summary>
    internal long? LastCheckpointTreeSize { get; init; }

    /// <summary>Bytes on disk (files), or <see langword="null"/>.</summary>
    internal long? Bytes { get; init; }

    /// <summary>The files (segments), oldest first; empty for a database.</summary>
    internal IReadOnlyList<string> Files { get; init; } = [];
}
