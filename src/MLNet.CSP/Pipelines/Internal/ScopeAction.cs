namespace MLNet.CSP.Pipelines.Internal;

/// <summary>A scope whose end runs an action once (restoring what the scope changed), however often it is disposed.</summary>
internal sealed class ScopeAction(Action action) : IDisposable
{
    private Action? pending = action;

    public void Dispose() => Interlocked.Exchange(ref pending, null)?.Invoke();
}
