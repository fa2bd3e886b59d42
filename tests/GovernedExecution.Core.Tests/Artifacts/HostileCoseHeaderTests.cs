using GovernedExecution.Artifacts;
using GovernedExecution.Execution;
using GovernedExecution.Intents;
using GovernedExecution.Testing;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>Header labels and values beyond the integer types the reader converts them to: Invalid, never an exception.</summary>
public sealed class HostileCoseHeaderTests : IDisposable
{
    private readonly VerifierBench _bench = new();
    private readonly ExecutionIntent _intent = GovernedTestHost.Intent("read");

    public void Dispose() => _bench.Dispose();

    public static TheoryData<string> Shapes() => HostileCose.Theory();

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task The_verifier_refuses_the_artifact_as_Invalid(string shape)
    {
        var bytes = HostileCose.Message(shape, ArtifactFormat.ContentType, _bench.Key.KeyId, _bench.Forge(_intent).Payload());

        var result = await _bench.VerifyAsync(AuthorizationArtifact.FromBytes(bytes), _intent);

        Assert.Equal(ArtifactVerdict.Invalid, result.Verdict);
        Assert.Equal(DenialReason.SignatureInvalid, result.Reason);
    }
}
