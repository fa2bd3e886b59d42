namespace GovernedExecution.Lineage;

/// <summary>A checkpoint witness refused a checkpoint: it is not an append-only extension of the one the witness holds.</summary>
public sealed class CheckpointWitnessRefusedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CheckpointWitnessRefusedException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">Why the checkpoint was refused.</param>
    public CheckpointWitnessRefusedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and a cause.</summary>
    /// <param name="message">Why the checkpoint was refused.</param>
    /// <param name="innerException">The cause.</param>
    public CheckpointWitnessRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
