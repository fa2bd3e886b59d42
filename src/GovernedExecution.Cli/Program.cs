using GovernedExecution.Cli;

return await GovexecApp.RunAsync(args).ConfigureAwait(false);
