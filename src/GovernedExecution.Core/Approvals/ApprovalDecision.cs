using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace GovernedExecution.Approvals;

/// <summary>
/// An approver's answer: approved or refused, by whom, until when, and for which intent digest. The default state is
/// refused; only <see cref="Approve"/> grants.
/// </summary>
public sealed class ApprovalDecision
{
    private ApprovalDecision(bool approved, string approver, DateTimeOffset expiresAt, ReadOnlyMemory<byte> intentDigest, string group, string? reason)
    {
        IsApproved = approved;
        Approver = approver;
        ExpiresAt = expiresAt;
        IntentDigest = intentDigest;
        Group = group;
        Reason = reason;
    }

    /// <summary>Whether the intent is approved.</summary>
    public bool IsApproved { get; }

    /// <summary>The approver's identity.</summary>
    public string Approver { get; }

    /// <summary>Until when the approval may be used to mint an artifact.</summary>
    public DateTimeOffset ExpiresAt { get; }

    /// <summary>The intent digest the approval is bound to.</summary>
    public ReadOnlyMemory<byte> IntentDigest { get; }

    /// <summary>The approver group that was asked.</summary>
    public string Group { get; }

    /// <summary>Why it was refused, if it was (free text; keep secrets out of it).</summary>
    public string? Reason { get; }

    /// <summary>Approves a request.</summary>
    /// <param name="request">The request.</param>
    /// <param name="approver">The approver's identity.</param>
    /// <param name="expiresAt">Until when the approval is valid.</param>
    /// <returns>The approval.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="approver"/> is empty.</exception>
    public static ApprovalDecision Approve(ApprovalRequest request, string approver, DateTimeOffset expiresAt)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(approver);
        return new ApprovalDecision(true, approver, expiresAt, request.IntentDigest.ToArray(), request.Group, null);
    }

    /// <summary>Refuses a request.</summary>
    /// <param name="request">The request.</param>
    /// <param name="approver">The approver's identity.</param>
    /// <param name="reason">Why.</param>
    /// <returns>The refusal.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> is <see langword="null"/>.</exception>
    public static ApprovalDecision Refuse(ApprovalRequest request, string approver, string? reason = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new ApprovalDecision(false, approver ?? string.Empty, DateTimeOffset.MinValue, request.IntentDigest.ToArray(), request.Group, reason);
    }

    /// <summary>
    /// The digest that artifacts carry to reference the approval: SHA-256 over the UTF-8 text
    /// <c>governed-approval/1\n{intent digest hex}\n{group}\n{approver}\n{expiry, Unix seconds}\n</c>.
    /// </summary>
    internal byte[] ComputeDigest() => SHA256.HashData(Encoding.UTF8.GetBytes(string.Create(
        CultureInfo.InvariantCulture,
        $"governed-approval/1\n{Convert.ToHexStringLower(IntentDigest.Span)}\n{Group}\n{Approver}\n{ExpiresAt.ToUnixTimeSeconds()}\n")));

    /// <inheritdoc />
    public override string ToString() => IsApproved ? $"approved by {Approver} until {ExpiresAt:O}" : $"refused by {Approver}: {Reason}";
}
