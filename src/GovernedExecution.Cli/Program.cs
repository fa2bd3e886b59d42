using System.CommandLine;
using GovernedExecution.Cli.Commands;

var root = new RootCommand("govexec: audit governed executions offline (policies, artifacts, lineage).");
PolicyCommands.Register(root);
LineageCommands.Register(root);
return await root.Parse(args).InvokeAsync();
