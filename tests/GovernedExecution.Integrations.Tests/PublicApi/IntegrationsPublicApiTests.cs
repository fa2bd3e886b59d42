using GovernedExecution.Extensions.AI;
using GovernedExecution.ModelContextProtocol;
using GovernedExecution.Testing;

namespace GovernedExecution.Integrations.Tests.PublicApi;

/// <summary>
/// The public surface of each integration package, compared with its approved listing so that a change to it is
/// visible in review. To accept a deliberate change, run the tests with GOVEXEC_ACCEPT_API=1 and commit the files.
/// </summary>
public sealed class IntegrationsPublicApiTests
{
    [Fact]
    public void Extensions_AI_public_api_matches_the_approved_listing() =>
        PublicApiApproval.Verify(typeof(GovernedAIFunctionExtensions).Assembly, "GovernedExecution.Extensions.AI");

    [Fact]
    public void ModelContextProtocol_public_api_matches_the_approved_listing() =>
        PublicApiApproval.Verify(typeof(GovernedMcpServerBuilderExtensions).Assembly, "GovernedExecution.ModelContextProtocol");
}
