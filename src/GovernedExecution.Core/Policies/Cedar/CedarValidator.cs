using System.Globalization;

namespace GovernedExecution.Policies.Cedar;

/// <summary>How strictly the Cedar validator types policies.</summary>
public enum CedarValidationMode
{
    /// <summary>
    /// Cedar's default: both sides of <c>==</c>, the elements of a set, the branches of an <c>if</c> and the operands of
    /// <c>contains</c>/<c>containsAll</c>/<c>containsAny</c> must have the same type (two different entity types compare as
    /// <c>false</c>), empty set literals are refused, and extension constructors take a string literal.
    /// </summary>
    Strict = 0,

    /// <summary>
    /// Also accepts expressions whose types merge into a common supertype: a set or an <c>if</c> may mix entity types, records
    /// of different shapes merge into the attributes they share, empty set literals and extension constructors applied to
    /// non-literal strings are allowed.
    /// </summary>
    Permissive = 1,
}

/// <summary>Whether a validation diagnostic makes the policies invalid.</summary>
public enum CedarValidationSeverity
{
    /// <summary>The policy does not validate.</summary>
    Error = 0,

    /// <summary>The policy validates, but cannot do what it seems to (it never applies).</summary>
    Warning = 1,
}

/// <summary>The categories of Cedar's validator (its error and warning kinds).</summary>
public enum CedarValidationKind
{
    /// <summary>An entity type that the schema does not declare (in an entity literal, a scope or an <c>is</c>).</summary>
    UnrecognizedEntityType = 0,

    /// <summary>An action that the schema does not declare.</summary>
    UnrecognizedActionId = 1,

    /// <summary>An entity of an enumerated type with an id the schema does not list.</summary>
    InvalidEnumEntity = 2,

    /// <summary>An operand of the wrong type (for example <c>principal.name &gt; 1</c> with a string attribute).</summary>
    UnexpectedType = 3,

    /// <summary>Types that must agree do not (the two sides of <c>==</c>, the elements of a set, the branches of an <c>if</c>).</summary>
    IncompatibleTypes = 4,

    /// <summary>An attribute that the type does not declare.</summary>
    UnsafeAttributeAccess = 5,

    /// <summary>An optional attribute read without a <c>has</c> guard.</summary>
    UnsafeOptionalAttributeAccess = 6,

    /// <summary>A tag read with <c>getTag</c> without a <c>hasTag</c> guard, or on an entity type that has no tags.</summary>
    UnsafeTagAccess = 7,

    /// <summary>A function or method called with the wrong number of arguments.</summary>
    WrongNumberArguments = 9,

    /// <summary>An extension constructor whose string literal is not valid for it (for example <c>ip("zz")</c>).</summary>
    FunctionArgumentValidation = 10,

    /// <summary>An empty set literal (strict mode).</summary>
    EmptySetForbidden = 11,

    /// <summary>An extension constructor applied to something other than a string literal (strict mode).</summary>
    NonLitExtConstructor = 12,

    /// <summary>
    /// No action of the schema applies to the principal and resource types the policy's scope allows. An error, as in Cedar up
    /// to 4.12 and in the conformance corpus (the official engine 4.13 reports it as a warning).
    /// </summary>
    InvalidActionApplication = 13,

    /// <summary>A warning: the policy's condition is false for every request the schema allows.</summary>
    ImpossiblePolicy = 14,
}

/// <summary>One problem the Cedar validator found in a policy.</summary>
public sealed class CedarValidationDiagnostic
{
    internal CedarValidationDiagnostic(CedarValidationKind kind, string policyId, string message, string source, int line, int column)
    {
        Kind = kind;
        PolicyId = policyId;
        Message = message;
        Source = source;
        Line = line;
        Column = column;
    }

    /// <summary>Gets the category.</summary>
    public CedarValidationKind Kind { get; }

    /// <summary>Gets whether the diagnostic is an error (the policies do not validate) or a warning.</summary>
    public CedarValidationSeverity Severity => Kind == CedarValidationKind.ImpossiblePolicy ? CedarValidationSeverity.Warning : CedarValidationSeverity.Error;

    /// <summary>Gets the id of the policy.</summary>
    public string PolicyId { get; }

    /// <summary>Gets what is wrong, in words.</summary>
    public string Message { get; }

    /// <summary>Gets the name of the policy's source (file name), or <c>&lt;policies&gt;</c> when unknown.</summary>
    public string Source { get; }

    /// <summary>Gets the 1-based line of the condition (or, for a problem in the scope, the policy) the problem is in; 0 when unknown.</summary>
    public int Line { get; }

    /// <summary>Gets the 1-based column that goes with <see cref="Line"/>; 0 when unknown.</summary>
    public int Column { get; }

    /// <summary>Gets the category as Cedar names it in words, for example <c>unsafe optional attribute access</c>.</summary>
    public string Category => CategoryName(Kind);

    /// <summary>Formats the diagnostic as <c>source:line:column: error[category] policy id: message</c>.</summary>
    /// <returns>The formatted diagnostic.</returns>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Source}:{Line}:{Column}: {(Severity == CedarValidationSeverity.Error ? "error" : "warning")}[{Category}] policy {PolicyId}: {Message}");

    internal static string CategoryName(CedarValidationKind kind) => kind switch
    {
        CedarValidationKind.UnrecognizedEntityType => "unrecognized entity type",
        CedarValidationKind.UnrecognizedActionId => "unrecognized action",
        CedarValidationKind.InvalidEnumEntity => "invalid enum entity",
        CedarValidationKind.UnexpectedType => "unexpected type",
        CedarValidationKind.IncompatibleTypes => "incompatible types",
        CedarValidationKind.UnsafeAttributeAccess => "unsafe attribute access",
        CedarValidationKind.UnsafeOptionalAttributeAccess => "unsafe optional attribute access",
        CedarValidationKind.UnsafeTagAccess => "unsafe tag access",
        CedarValidationKind.WrongNumberArguments => "wrong number of arguments",
        CedarValidationKind.FunctionArgumentValidation => "function argument validation",
        CedarValidationKind.EmptySetForbidden => "empty set forbidden",
        CedarValidationKind.NonLitExtConstructor => "non-literal extension constructor",
        CedarValidationKind.InvalidActionApplication => "invalid action application",
        _ => "impossible policy",
    };
}

/// <summary>The outcome of validating policies against a schema.</summary>
public sealed class CedarValidationResult
{
    internal CedarValidationResult(IReadOnlyList<CedarValidationDiagnostic> diagnostics)
    {
        Diagnostics = diagnostics;
        IsValid = diagnostics.All(d => d.Severity == CedarValidationSeverity.Warning);
    }

    /// <summary>Gets a value indicating whether no diagnostic is an error (warnings do not make policies invalid).</summary>
    public bool IsValid { get; }

    /// <summary>Gets the errors and warnings, ordered by policy id, then position.</summary>
    public IReadOnlyList<CedarValidationDiagnostic> Diagnostics { get; }
}

/// <summary>
/// Cedar's validator: type checks every policy against a schema for every request the schema allows (each action with
/// each of its principal and resource types and its context), as Cedar's typechecker does.
/// </summary>
/// <remarks>
/// It reports what would otherwise surface at run time as a policy that raises an error and is skipped: unknown entity
/// types, actions and attributes, optional attributes and tags read without a <c>has</c>/<c>hasTag</c> guard, operands of
/// the wrong type, and extension calls with bad arguments. A policy that never applies (its scope matches no action of
/// the schema, or its condition is false for every request) is a warning.
/// </remarks>
public static class CedarValidator
{
    /// <summary>Validates <paramref name="policies"/> (static policies, templates and linked policies) against <paramref name="schema"/>.</summary>
    /// <param name="policies">The policies.</param>
    /// <param name="schema">The schema.</param>
    /// <param name="mode">Strict (Cedar's default) or permissive typing.</param>
    /// <returns>The result: <see cref="CedarValidationResult.IsValid"/> and the diagnostics.</returns>
    /// <exception cref="ArgumentNullException">When <paramref name="policies"/> or <paramref name="schema"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="mode"/> is not a defined value.</exception>
    public static CedarValidationResult Validate(CedarPolicySet policies, CedarSchema schema, CedarValidationMode mode = CedarValidationMode.Strict)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(schema);
        if (mode is not (CedarValidationMode.Strict or CedarValidationMode.Permissive))
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown validation mode");
        }

        var checker = new CedarTypechecker(schema, mode == CedarValidationMode.Strict);
        var all = new List<CedarValidationDiagnostic>();
        foreach (var p in policies.Policies.OrderBy(p => p.Id, StringComparer.Ordinal))
        {
            all.AddRange(checker.CheckPolicy(p));
        }

        return new CedarValidationResult(all.AsReadOnly());
    }
}
