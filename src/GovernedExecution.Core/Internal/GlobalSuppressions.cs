using System.Diagnostics.CodeAnalysis;

[assembly: SuppressMessage("Naming", "CA1720:Identifier contains type name", Scope = "namespaceanddescendants", Target = "~N:GovernedExecution.Intents", Justification = "Value kinds and factories are named after Cedar's types (String, Long, Decimal).")]
