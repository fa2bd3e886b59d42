namespace GovernedExecution.Artifacts.Keys;

/// <summary>Raised inside the library when a key provider or store fails; maps to <c>KeyUnavailable</c>.</summary>
internal sealed class KeyUnavailableException(string message, Exception inner) : Exception(message, inner);
