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

    /// <summary>A readable summary (no argument values: only their digest is held).</summary>
    public override string ToString() => $"{Principal} -> {Action} on {Resource}";

    internal ExecutionIntent WithParent(Guid parent) => new(Principal, Action, Resource)
    {
        _context = _context,
        _argumentsDigest = _argumentsDigest,
        ParentExecutionId = parent,
    };
}
