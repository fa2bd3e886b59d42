using System.Runtime.Versioning;
using GovernedExecution.Artifacts.Keys;

namespace GovernedExecution.Tests.Cli;

/// <summary>
/// <c>govexec keys generate</c> writes the private key only into a new file readable by its owner, moved into place in
/// one step: never into an existing file (which may be world-readable, or held open by someone), never through a
/// link, never half-written.
/// </summary>
public sealed class KeysGenerateTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode WorldReadable = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private readonly string _dir = Directory.CreateTempSubdirectory("govexec-keys-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Name => Path.Combine(_dir, "issuer");

    private string PrivatePath => Name + ".key.pem";

    private string PublicPath => Name + ".pub.pem";

    [SkippableFact]
    [UnsupportedOSPlatform("windows")]
    public async Task Force_replaces_a_world_readable_key_file_with_a_new_owner_only_file()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix file modes");
        File.WriteAllText(PrivatePath, "old key\n");
        File.SetUnixFileMode(PrivatePath, WorldReadable);
        // Someone who could read the old file keeps it open: the new key must not reach them through it.
        using var heldOpen = new FileStream(PrivatePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);

        var run = await Govexec.InProcessAsync("keys", "generate", "--out", Name, "--force");

        Assert.True(run.Code == 0, run.ToString());
        AssertOwnerOnlyRegularFile(PrivatePath);
        using var key = SigningKey.FromPem(File.ReadAllText(PrivatePath));
        Assert.Equal(key.KeyId, run.Output.Trim());
        using var reader = new StreamReader(heldOpen);
        Assert.Equal("old key\n", reader.ReadToEnd());
    }

    [SkippableFact]
    [UnsupportedOSPlatform("windows")]
    public async Task Force_does_not_follow_a_symlink_at_the_private_key_path()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix symlinks and file modes");
        var elsewhere = Path.Combine(_dir, "elsewhere.txt");
        File.WriteAllText(elsewhere, "not yours\n");
        File.SetUnixFileMode(elsewhere, WorldReadable);
        File.CreateSymbolicLink(PrivatePath, elsewhere);

        var run = await Govexec.InProcessAsync("keys", "generate", "--out", Name, "--force");

        Assert.True(run.Code == 0, run.ToString());
        Assert.Equal("not yours\n", File.ReadAllText(elsewhere));
        Assert.Equal(WorldReadable, File.GetUnixFileMode(elsewhere));
        AssertOwnerOnlyRegularFile(PrivatePath);
        using var key = SigningKey.FromPem(File.ReadAllText(PrivatePath));
    }

    [SkippableFact]
    [UnsupportedOSPlatform("windows")]
    public async Task Force_does_not_follow_a_symlink_at_the_public_key_path()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix symlinks");
        var elsewhere = Path.Combine(_dir, "elsewhere.txt");
        File.WriteAllText(elsewhere, "not yours\n");
        File.CreateSymbolicLink(PublicPath, elsewhere);

        var run = await Govexec.InProcessAsync("keys", "generate", "--out", Name, "--force");

        Assert.True(run.Code == 0, run.ToString());
        Assert.Equal("not yours\n", File.ReadAllText(elsewhere));
        Assert.Null(new FileInfo(PublicPath).LinkTarget);
        using var trusted = TrustedKey.FromPem(File.ReadAllText(PublicPath));
        Assert.Equal(run.Output.Trim(), trusted.KeyId);
    }

    [SkippableFact]
    [UnsupportedOSPlatform("windows")]
    public async Task Without_force_a_dangling_symlink_counts_as_an_existing_file_and_nothing_is_written()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix symlinks");
        var target = Path.Combine(_dir, "planted.pem");
        File.CreateSymbolicLink(PrivatePath, target);

        var run = await Govexec.InProcessAsync("keys", "generate", "--out", Name);

        Assert.Equal(1, run.Code);
        run.AssertNoCrash();
        Assert.False(File.Exists(target));
        Assert.False(File.Exists(PublicPath));
    }

    [Fact]
    public async Task A_folder_that_does_not_exist_is_a_clear_error_with_exit_1()
    {
        var run = await Govexec.InProcessAsync("keys", "generate", "--out", Path.Combine(_dir, "missing", "issuer"));

        Assert.Equal(1, run.Code);
        run.AssertNoCrash();
        Assert.StartsWith("govexec: ", run.Error, StringComparison.Ordinal);
    }

    [SkippableFact]
    [UnsupportedOSPlatform("windows")]
    public void The_library_export_writes_an_owner_only_file_and_refuses_to_replace_one_unless_told()
    {
        Skip.If(OperatingSystem.IsWindows(), "Unix file modes");
        using var key = SigningKey.Generate();
        File.WriteAllText(PrivatePath, "old key\n");
        File.SetUnixFileMode(PrivatePath, WorldReadable);

        Assert.Throws<IOException>(() => key.ExportPrivateKeyPemToFile(PrivatePath));
        Assert.Equal("old key\n", File.ReadAllText(PrivatePath));

        key.ExportPrivateKeyPemToFile(PrivatePath, overwrite: true);
        AssertOwnerOnlyRegularFile(PrivatePath);
        using var loaded = SigningKey.FromPem(File.ReadAllText(PrivatePath));
        Assert.Equal(key.KeyId, loaded.KeyId);
        Assert.Equal([PrivatePath], Directory.GetFiles(_dir)); // no temporary file left behind
    }

    [UnsupportedOSPlatform("windows")]
    private static void AssertOwnerOnlyRegularFile(string path)
    {
        var info = new FileInfo(path);
        Assert.True(info.Exists);
        Assert.Null(info.LinkTarget);
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(path));
    }
}
