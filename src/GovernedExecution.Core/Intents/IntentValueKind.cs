namespace GovernedExecution.Intents;

/// <summary>The kind of an <see cref="IntentValue"/>, matching Cedar's value types.</summary>
public enum IntentValueKind
{
    /// <summary>A string.</summary>
    String = 1,

    /// <summary>A 64-bit signed integer.</summary>
    Long = 2,

    /// <summary>A boolean.</summary>
    Boolean = 3,

    /// <summary>A Cedar decimal (up to four fractional digits), held exactly as a 64-bit integer scaled by 10,000.</summary>
    Decimal = 4,

    /// <summary>A reference to an entity.</summary>
    Entity = 5,

    /// <summary>A set of values (unordered, without duplicates).</summary>
    Set = 6,

    /// <summary>A record: string keys to values.</summary>
    Record = 7,
}
