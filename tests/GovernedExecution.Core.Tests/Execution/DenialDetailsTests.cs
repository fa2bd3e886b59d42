using GovernedExecution.Execution;

namespace GovernedExecution.Tests.Execution;

public sealed class DenialDetailsTests
{
    [Fact]
    public void Every_reason_but_Unspecified_has_documented_details()
    {
        var reasons = Enum.GetValues<DenialReason>().Where(r => r != DenialReason.Unspecified);

        Assert.All(reasons, r => Assert.NotEmpty(DenialDetails.Patterns[r]));
        Assert.False(DenialDetails.Patterns.ContainsKey(DenialReason.Unspecified));
    }

    [Theory]
    [InlineData(DenialReason.GovernanceFault, "policy failed: InvalidOperationException", true)]
    [InlineData(DenialReason.GovernanceFault, "policyInvalidOperationException", false)]
    [InlineData(DenialReason.GovernanceFault, " failed: InvalidOperationException", false)]
    [InlineData(DenialReason.Canceled, "cancellation was requested during lineage", true)]
    [InlineData(DenialReason.Canceled, "cancellation was requested during ", false)]
    [InlineData(DenialReason.ApprovalRefused, "'finance' refused: no reason given", true)]
    [InlineData(DenialReason.ApprovalRefused, "'finance' refused: ", false)]
    [InlineData(DenialReason.ApprovalTimedOut, "no approval by 'finance' within 00:00:00.1000000", true)]
    [InlineData(DenialReason.PolicyDenied, "no permit policy applied", false)]
    [InlineData(DenialReason.SignatureInvalid, "", false)]
    [InlineData(DenialReason.Unspecified, "no execution took place", false)]
    public void A_detail_is_documented_only_for_its_own_reason_and_in_full(DenialReason reason, string detail, bool documented) =>
        Assert.Equal(documented, DenialDetails.IsDocumented(reason, detail));
}
