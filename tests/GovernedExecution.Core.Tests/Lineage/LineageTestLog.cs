using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Lineage;

namespace GovernedExecution.Tests.Lineage;

/// <summary>A temporary folder with a lineage file path and a checkpoint key, removed at dispose.</summary>
public sealed class LineageTestLog : IDisposable
{
    public LineageTestLog()
    {
        Directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "govexec-lineage-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        Path = System.IO.Path.Combine(Directory, "lineage.jsonl");
    }

    public string Directory { get; }

    public string Path { get; }

    public SigningKey Key { get; } = SigningKey.Generate();

    public TrustedKey[] Trusted => _trusted ??= [Key.ToTrustedKey()];

    private TrustedKey[]? _trusted;

    public FileLineageSinkOptions Options(Action<FileLineageSinkOptions>? configure = null)
    {
        var options = new FileLineageSinkOptions { Path = Path, CheckpointKey = Key, CheckpointEveryRecords = 10 };
        configure?.Invoke(options);
        return options;
    }

    public FileLineageSink Open(Action<FileLineageSinkOptions>? configure = null) => FileLineageSink.Open(Options(configure));

    public static LineageEvent Event(int i, Guid? execution = null, Guid? parent = null, LineageEventKind kind = LineageEventKind.IntentSubmitted) =>
        new(kind, execution ?? Guid.NewGuid(), parent, new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero).AddMilliseconds(i), [new("i", i.ToString(System.Globalization.CultureInfo.InvariantCulture))]);

    public async Task WriteAsync(int count, Action<FileLineageSinkOptions>? configure = null)
    {
        await using var sink = Open(configure);
        for (var i = 0; i < count; i++)
        {
            await sink.AppendAsync([Event(i)], CancellationToken.None);
        }
    }

    public LineageVerificationResult Verify() => LineageVerifier.VerifyFiles(Files(), Trusted);

    public List<string> Files() => LineageSegmentsProbe.Existing(Path);

    public string[] Lines(string? path = null) => File.ReadAllLines(path ?? Path);

    public void Dispose()
    {
        Key.Dispose();
        if (_trusted is not null)
        {
            foreach (var key in _trusted)
            {
                key.Dispose();
            }
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

internal static class LineageSegmentsProbe
{
    public static List<string> Existing(string path) => LineageSegments.Existing(path);
}
