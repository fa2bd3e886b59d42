using System.CommandLine;
using GovernedExecution.Cli.Commands;

var root = new RootCommand("govexec: audit governed executions offline (policies, artifacts, lineage).");
PolicyCommands.Register(root);
KeyCommands.Register(root);
ArtifactCommands.Register(root);
LineageCommands.Register(root);
return await root.Parse(args).InvokeAsync();
