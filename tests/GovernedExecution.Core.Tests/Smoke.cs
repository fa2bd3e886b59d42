namespace GovernedExecution.Tests; public class Smoke { [Fact] public void Root_is_found() => Assert.True(Directory.Exists(GovernedExecution.Testing.TestPaths.RepositoryRoot)); }
