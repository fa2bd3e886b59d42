using GovernedExecution.Testing;

namespace GovernedExecution.AspNetCore.Tests.PublicApi;

/// <summary>
/// The public surface of the ASP.NET Core package, compared with its approved listing so that a change to it is
/// visible in review. To accept a deliberate change, run the tests with GOVEXEC_ACCEPT_API=1 and commit the file.
/// </summary>
public sealed class AspNetCorePublicApiTests
{
    [Fact]
    public void AspNetCore_public_api_matches_the_approved_listing() =>
        PublicApiApproval.Verify(typeof(GovernedAttribute).Assembly, "GovernedExecution.AspNetCore");
}
