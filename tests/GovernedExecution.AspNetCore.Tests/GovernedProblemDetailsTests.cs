using GovernedExecution.Execution;

namespace GovernedExecution.AspNetCore.Tests;

/// <summary>The reason-to-status table: 503 only where governance could not decide, 400 only for arguments, 403 for the rest.</summary>
public sealed class GovernedProblemDetailsTests
{
    public static TheoryData<DenialReason> Reasons() => [.. Enum.GetValues<DenialReason>()];

    [Theory]
    [MemberData(nameof(Reasons))]
    public void Every_reason_has_its_documented_status(DenialReason reason)
    {
        var expected = reason switch
        {
            DenialReason.ArgumentsInvalid => 400,
            DenialReason.LineageUnavailable or DenialReason.KeyUnavailable or DenialReason.GovernanceFault or DenialReason.Canceled => 503,
            _ => 403,
        };

        Assert.Equal(expected, GovernedProblemDetails.StatusCodeFor(reason));
    }

    [Fact]
    public void Unknown_reason_is_a_403_never_a_success()
    {
        Assert.Equal(403, GovernedProblemDetails.StatusCodeFor((DenialReason)999));
    }
}
