using System.Runtime.Versioning;

namespace GovernedExecution.Tests.Cli;

/// <summary><c>govexec artifact mint</c> writes the artifact, a credential until used or expired, as key files are written.</summary>
public sealed class ArtifactMintTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("govexec-mint-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [SkippableFact]
    [UnsupportedOSPlatform("windows")]
    public async Task The_artifact_is_owner_only_and_replaces_a_link_at_out_rather_than_writing_through_it()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix symlinks and file modes");
        Assert.Equal(0, (await Govexec.InProcessAsync("keys", "generate", "--out", Path.Combine(_dir, "issuer"))).Code);
        var policies = Path.Combine(_dir, "p.cedar");
        File.WriteAllText(policies, "permit (principal, action, resource);");
        var request = Path.Combine(_dir, "r.json");
        File.WriteAllText(request, """{"principal":{"type":"Agent","id":"bot"},"action":{"type":"Action","id":"read"},"resource":{"type":"Ticket","id":"t-1"}}""");
        var elsewhere = Path.Combine(_dir, "elsewhere.txt");
        File.WriteAllText(elsewhere, "not yours\n");
        var artifact = Path.Combine(_dir, "a.cose");
        File.CreateSymbolicLink(artifact, elsewhere);

        var run = await Govexec.InProcessAsync("artifact", "mint", "--key", Path.Combine(_dir, "issuer.key.pem"), "--policies", policies, "--request", request, "--out", artifact);

        Assert.True(run.Code == 0, run.ToString());
        Assert.Equal("not yours\n", File.ReadAllText(elsewhere));
        Assert.Null(new FileInfo(artifact).LinkTarget);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(artifact));
        Assert.Equal(0xD2, File.ReadAllBytes(artifact)[0]);
    }
}
