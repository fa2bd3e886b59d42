using System.Collections.Immutable;

namespace GovernedExecution.Intents;

/// <summary>
/// What a caller asks to run: who (principal), what (action), on what (resource), in which circumstances
/// (context), with which arguments (their digest), and under which parent execution. An intent is immutable:
/// what was authorized is exactly what runs.
/// </summary>
public sealed class ExecutionIntent
{
    private ImmutableSortedDictionary<string, IntentValue> _context = ImmutableSortedDictionary.Create<string, IntentValue>(StringComparer.Ordinal);
    private ReadOnlyMemory<byte> _argumentsDigest;

    // An intent never changes once built (its context and arguments digest are copied on assignment): its digest and
    // the hex texts lineage records are computed once, when first asked for.
    private byte[]? _digest;
    private string? _digestText;
    private string? _argumentsDigestText;

    /// <summary>Creates an intent.</summary>
    /// <param name="principal">Who asks, for example <c>Agent::"support-bot"</c>.</param>
    /// <param name="action">The action, for example <c>Action::"refund"</c>.</param>
    /// <param name="resource">The resource acted upon.</param>
    /// <exception cref="ArgumentNullException">A parameter is <see langword="null"/>.</exception>
    public ExecutionIntent(EntityReference principal, EntityReference action, EntityReference resource)
    {
        ArgumentNullException.ThrowIfNull(principal);
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(resource);
        Principal = principal;
        Action = action;
        Resource = resource;
    }

    /// <summary>Who asks.</summary>
    public EntityReference Principal { get; }

    /// <summary>The action.</summary>
    public EntityReference Action { get; }

    /// <summary>The resource acted upon.</summary>
    public EntityReference Resource { get; }

    /// <summary>Context attributes (a Cedar <c>context</c> record), ordered by key. Copied on assignment.</summary>
    /// <exception cref="ArgumentNullException">The value, a key or a value is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A key appears twice.</exception>
    public IReadOnlyDictionary<string, IntentValue> Context
    {
        get => _context;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            _context = IntentValue.ToSortedMap(value, nameof(Context));
        }
    }

    /// <summary>
    /// The SHA-256 digest of the operation's arguments (see <see cref="ArgumentsDigest"/>), or empty when the
    /// operation takes none. Copied on assignment.
    /// </summary>
    /// <exception cref="ArgumentException">The digest is neither empty nor 32 bytes.</exception>
    public ReadOnlyMemory<byte> ArgumentsDigest
    {
        get => _argumentsDigest;
        init
        {
            if (!value.IsEmpty && value.Length != Intents.ArgumentsDigest.Length)
            {
                throw new ArgumentException($"An arguments digest is {Intents.ArgumentsDigest.Length} bytes (SHA-256).", nameof(ArgumentsDigest));
            }

            _argumentsDigest = value.ToArray();
        }
    }

    /// <summary>
    /// The execution this one runs under. When <see langword="null"/> and the intent is run inside a governed
    /// delegate, the executor takes the ambient <see cref="Execution.GovernedContext.Current"/> execution as parent.
    /// </summary>
    public Guid? ParentExecutionId { get; init; }

    /// <summary>
    /// Returns a copy of this intent described by the operation's arguments, from one list: every argument becomes a
    /// context attribute of the same name (the policies evaluate what the operation receives), and the arguments
    /// digest is <see cref="Intents.ArgumentsDigest.Compute"/> of the same list (what the artifact binds). Context
    /// attributes already set are kept; this intent is unchanged.
    /// </summary>
    /// <param name="arguments">The operation's arguments by name, for example
    /// <c>[new("orderId", orderId), new("amount", amount)]</c>.</param>
    /// <returns>The new intent.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="arguments"/>, a name or a value is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A name appears twice, or is already a context attribute (the policies would
    /// see another value than the operation receives).</exception>
    /// <exception cref="InvalidOperationException">This intent already has an arguments digest.</exception>
    public ExecutionIntent WithArguments(IEnumerable<KeyValuePair<string, IntentValue>> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        if (!_argumentsDigest.IsEmpty)
        {
            throw new InvalidOperationException("The intent already has an arguments digest; describe the arguments once.");
        }

        var record = IntentValue.ToSortedMap(arguments, nameof(arguments));
        var context = _context.ToBuilder();
        foreach (var pair in record)
        {
            if (!context.TryAdd(pair.Key, pair.Value))
            {
                throw new ArgumentException($"The argument '{pair.Key}' is already a context attribute.", nameof(arguments));
            }
        }

        return new ExecutionIntent(Principal, Action, Resource)
        {
            _context = context.ToImmutable(),
            _argumentsDigest = Intents.ArgumentsDigest.Compute(record),
            ParentExecutionId = ParentExecutionId,
        };
    }

    /// <summary>
    /// The intent digest (<see cref="IntentEncoding.Digest"/>), in a new array for each caller: the bytes one execution
    /// mints for and verifies against are never memory another execution handed to a provider.
    /// </summary>
    internal byte[] ComputeDigest() => (byte[])(_digest ??= IntentEncoding.Digest(this)).Clone();

    /// <summary>The intent digest as lowercase hex, as lineage records it.</summary>
    internal string DigestText => _digestText ??= Convert.ToHexStringLower(_digest ??= IntentEncoding.Digest(this));

    /// <summary>The arguments digest as lowercase hex (empty when there is none), as lineage records it.</summary>
    internal string ArgumentsDigestText => _argumentsDigestText ??= Convert.ToHexStringLower(_argumentsDigest.Span);

    /// <summary>The attributes of this intent's lineage intent record in one mode outside a trace, built once by the executor.</summary>
    internal IntentRecordAttributes? IntentRecord { get; set; }

    /// <summary>A mode and the intent record attributes for it (one object, so that both are read together).</summary>
    internal sealed record IntentRecordAttributes(string Mode, System.Collections.ObjectModel.ReadOnlyCollection<KeyValuePair<string, string>> Attributes);

    /// <summary>A readable summary (no argument values: only their digest is held).</summary>
    public override string ToString() => $"{Principal} -> {Action} on {Resource}";

    internal ExecutionIntent WithParent(Guid parent) => new(Principal, Action, Resource)
    {
        _context = _context,
        _argumentsDigest = _argumentsDigest,
        ParentExecutionId = parent,
    };
}
