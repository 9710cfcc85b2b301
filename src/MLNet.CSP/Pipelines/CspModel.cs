using System.Reflection;

namespace MLNet.CSP.Pipelines;

/// <summary>
/// Loading a saved model with errors that say which file and what is wrong: <c>mlContext.Model.Load</c> reports a damaged
/// MLNet.CSP entry as "Exception has been thrown by the target of an invocation" and a broken zip without its path.
/// </summary>
public static class CspModel
{
    /// <summary>
    /// <c>mlContext.Model.Load(path, out inputSchema)</c>; any failure becomes an <see cref="InvalidDataException"/> whose
    /// first line names the file and the cause (e.g. a damaged weights entry, a truncated zip), with the original inside.
    /// </summary>
    public static ITransformer Load(MLContext mlContext, string path, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Model file '{path}' was not found.", path);
        try
        {
            return mlContext.Model.Load(path, out inputSchema);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"Could not load the model file '{path}': {Cause(e).Message}", e);
        }
    }

    /// <summary>
    /// The last transformer of type <typeparamref name="T"/> in a model (a loaded <c>TransformerChain</c>, chains inside chains,
    /// or the transformer itself), e.g. the classifier of a saved pipeline to serve with a batch predictor; null when there is none.
    /// </summary>
    public static T? Find<T>(ITransformer model) where T : class, ITransformer
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model is T found) return found;
        if (model is not IEnumerable<ITransformer> chain) return null;
        T? last = null;
        foreach (var part in chain) last = Find<T>(part) ?? last;
        return last;
    }

    /// <summary>The exception that says what is wrong: past reflection wrappers, preferring our own data errors.</summary>
    internal static Exception Cause(Exception e)
    {
        var chain = new List<Exception>();
        for (var current = e; current is not null; current = current.InnerException) chain.Add(current);
        return chain.LastOrDefault(x => x is InvalidDataException or FileNotFoundException)
            ?? chain.LastOrDefault(x => x is not TargetInvocationException) ?? e;
    }
}
