using GovernedExecution.Testing;

namespace GovernedExecution.Tests.PublicApi;

/// <summary>The public surface of the GovernedExecution.Testing package, compared with its approved listing.</summary>
public sealed class TestingPublicApiTests
{
    [Fact]
    public void Public_api_matches_the_approved_listing() =>
        PublicApiApproval.Verify(typeof(FakeGovernedExecutor).Assembly, "GovernedExecution.Testing");
}
