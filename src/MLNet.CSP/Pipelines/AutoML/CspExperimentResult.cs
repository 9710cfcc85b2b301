namespace MLNet.CSP.Pipelines.AutoML;

/// <summary>
/// What a search returns: the best model, its trial and every trial. The model holds a native network: dispose the result
/// (or the model) when done with it.
/// </summary>
public sealed class CspExperimentResult : IDisposable
{
    internal CspExperimentResult(ITransformer model, CspTrialResult bestTrial, IReadOnlyList<CspTrialResult> trials, TimeSpan elapsed,
        bool cancelled, string? trialHistoryPath, CspTrialResult? finalFit)
    {
        FinalFit = finalFit;
        Model = model;
        BestTrial = bestTrial;
        Trials = trials;
        Elapsed = elapsed;
        Cancelled = cancelled;
        TrialHistoryPath = trialHistoryPath;
    }

    /// <summary>
    /// The final fit's model when <see cref="FinalFit"/> is set, else the best trial's fitted model; from the experiment's input columns to <c>Score</c> and <c>PredictedLabel</c> (a key; a label
    /// column that was not a key is mapped by a <c>MapValueToKey</c> step inside the model). Saves with <c>mlContext.Model.Save</c>.
    /// </summary>
    public ITransformer Model { get; }

    /// <summary>The trial with the best validation metric: <see cref="Model"/> is its model, or its configuration's final fit.</summary>
    public CspTrialResult BestTrial { get; }

    /// <summary>
    /// The best trial's configuration trained again on the training and validation data together (two-stage strategy, time
    /// kept back by <see cref="CspImageClassificationExperimentOptions.FinalFitFraction"/>); null when it was not run or did
    /// not finish (then <see cref="Model"/> is the best trial's own). It has no validation metric.
    /// </summary>
    public CspTrialResult? FinalFit { get; }

    /// <summary>Every trial in the order they ended (rungs and heads separately).</summary>
    public IReadOnlyList<CspTrialResult> Trials { get; }

    /// <summary>Wall-clock time of the search.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Whether the caller's cancellation ended the search (the best model so far is returned).</summary>
    public bool Cancelled { get; }

    /// <summary>The trial history CSV (in the checkpoint directory), or null without one.</summary>
    public string? TrialHistoryPath { get; }

    /// <summary>Releases the model's network (native memory); <see cref="Model"/> cannot score afterwards.</summary>
    public void Dispose() => (Model as IDisposable)?.Dispose();
}
