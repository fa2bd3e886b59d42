using BenchmarkDotNet.Running;
using GovernedExecution.Benchmarks;

// Runs the benchmarks chosen on the command line, for example:
//   dotnet run -c Release --project benchmarks/GovernedExecution.Benchmarks -- --filter '*RunAsync*'
// or exports the policy workloads for benchmarks/cedar-compare/run.sh:
//   dotnet run -c Release --project benchmarks/GovernedExecution.Benchmarks -- cedar-export FOLDER
if (args is ["cedar-export", var folder])
{
    return CedarComparison.Run(folder);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
