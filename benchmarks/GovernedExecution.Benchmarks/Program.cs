using BenchmarkDotNet.Running;
using GovernedExecution.Benchmarks;

// Runs the benchmarks chosen on the command line, for example:
//   dotnet run -c Release --project benchmarks/GovernedExecution.Benchmarks -- --filter '*RunAsync*'
// or loops over one governed call for a profiler (CallProbe.cs):
//   dotnet run -c Release --project benchmarks/GovernedExecution.Benchmarks -- probe permitted 20000
// or exports the policy workloads for benchmarks/cedar-compare/run.sh:
//   dotnet run -c Release --project benchmarks/GovernedExecution.Benchmarks -- cedar-export FOLDER
// or prints the processor time per Cedar decision on the hard workload (for a loaded machine):
//   dotnet run -c Release --project benchmarks/GovernedExecution.Benchmarks -- cedar-hard-cpu
// or loops over one engine on the hard workload for a profiler (perf with DOTNET_PerfMapEnabled=1):
//   dotnet run -c Release --project benchmarks/GovernedExecution.Benchmarks -- cedar-hard-cpu profile 100 buffer 20
if (args is ["throughput-cpu", var file, .. var rest])
{
    return rest switch
    {
        [var n, var callers, var signing, var lineage] => ThroughputCpu.Run(file, int.Parse(n, System.Globalization.CultureInfo.InvariantCulture), (int.Parse(callers, System.Globalization.CultureInfo.InvariantCulture), Enum.Parse<GovernedExecution.Artifacts.ArtifactSigningMode>(signing), lineage)),
        [var n] => ThroughputCpu.Run(file, int.Parse(n, System.Globalization.CultureInfo.InvariantCulture)),
        _ => ThroughputCpu.Run(file, 4096),
    };
}

if (args is ["probe", "types", var sampled])
{
    return AllocationTypes.Run(sampled);
}

if (args is ["probe", "stages"])
{
    return StageProbe.Run();
}

if (args is ["probe", var scenario, ..])
{
    return CallProbe.Run(scenario, args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 20000);
}

if (args is ["cedar-export", var folder])
{
    return CedarComparison.Run(folder);
}

if (args is ["cedar-hard-cpu", "profile", var size, var engine, var seconds])
{
    return CedarHardWorkloadCpu.Profile(int.Parse(size, System.Globalization.CultureInfo.InvariantCulture), engine, int.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture));
}

if (args is ["cedar-hard-cpu"])
{
    return CedarHardWorkloadCpu.Run();
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
