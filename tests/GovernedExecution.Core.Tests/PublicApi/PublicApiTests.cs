using GovernedExecution.Testing;

namespace GovernedExecution.Tests.PublicApi;

/// <summary>
/// The public surface of the shipped assembly, compared with the approved listing, so that every change to it is
/// visible in review. To accept a deliberate change, run the tests with GOVEXEC_ACCEPT_API=1 and commit the file.
/// </summary>
public sealed class PublicApiTests
{
    [Fact]
    public void Public_api_matches_the_approved_listing() =>
        PublicApiApproval.Verify(typeof(GovernedExecution.Execution.IGovernedExecutor).Assembly, "GovernedExecution.Core");
}
