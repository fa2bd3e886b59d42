// Fuzz targets for the parsers that take outside input. Each target feeds the fuzzer's bytes to one parser; a
// documented rejection is fine, anything else (another exception type, a crash, a hang) is a finding.
//   dotnet GovernedExecution.Fuzz.dll <target>          under libFuzzer or AFL++ (see tests/fuzz/run.sh)
//   dotnet GovernedExecution.Fuzz.dll <target> FILE...  replays inputs (regressions)
using GovernedExecution.Fuzz;
using SharpFuzz;

if (args is ["seed", var folder])
{
    // Seeds that need a key or a writer: a valid artifact and a valid lineage file.
    FuzzTargets.WriteSeeds(folder);
    return 0;
}

if (args.Length == 0 || !FuzzTargets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine("usage: GovernedExecution.Fuzz <" + string.Join("|", FuzzTargets.All.Keys) + "> [FILE...]");
    return 2;
}

if (args.Length > 1)
{
    foreach (var file in args.Skip(1))
    {
        target(File.ReadAllBytes(file));
    }

    return 0;
}

if (Environment.GetEnvironmentVariable("__LIBFUZZER_SHM_ID") is not null)
{
    // Under libFuzzer, through tests/fuzz/libfuzzer/dotnet-driver.c.
    Fuzzer.LibFuzzer.Run(input => target(input.ToArray()));
    return 0;
}

// Under AFL++ (afl-fuzz).
Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    target(buffer.ToArray());
});
return 0;
